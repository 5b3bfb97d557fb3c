// "Try a call" on a toolset (issue #26): the simulator routes a name as the gateway does (prefix,
// then the catalog's exposed names with overrides) and decides it with the member server's active
// policy and the given arguments, narrowed by the toolset's subset. Another organization's toolset
// is not found; input is checked and refused with a message naming the field.
import { beforeEach, describe, expect, it } from 'vitest';
import { addMember, db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { savePolicy } from '../src/modules/policies/policies.ts';
import { simulateToolsetCall } from '../src/modules/toolsets/simulate-toolset.ts';
import { createToolset, effectiveTools } from '../src/modules/toolsets/toolsets.ts';
import type { OrgContext } from '../src/server/context.ts';
import { AppError, NotFoundError, ValidationError } from '../src/server/errors.ts';
import * as simulateRoute from '../src/app/api/v1/toolsets/[toolsetId]/simulate/route.ts';

beforeEach(resetDatabase);

/** The error a call throws (the test fails if it does not throw). */
async function refusal(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

/**
 * Two servers in one toolset. Twikit (prefix tw, all tools): get_tweet allowed, delete_tweet denied
 * with a reason, leave_community renamed on the server to quit_group and allowed only for one
 * community. Mastodon (prefix ma, policy allows everything): only get_tweet and leave_community are
 * in the toolset, and the toolset renames get_tweet to read_toot.
 */
async function socialToolset(ctx: OrgContext) {
  const twikit = await seedServer(ctx.organizationId, 'Twikit');
  const mastodon = await seedServer(ctx.organizationId, 'Mastodon');
  await db.tool.updateMany({
    where: { serverId: twikit.id, name: 'leave_community' },
    data: { overrideName: 'quit_group' },
  });
  await savePolicy(db, ctx, twikit.id, {
    version: '1',
    default: 'deny',
    tools: {
      get_tweet: { action: 'allow' },
      delete_tweet: { action: 'deny', reason: 'Deleting posts is not allowed here' },
      leave_community: {
        action: 'deny',
        reason: 'Only the sandbox community may be left',
        conditions: [{ when: { arg: 'community_id', equals: 'sandbox' }, action: 'allow' }],
      },
    },
  });
  await savePolicy(db, ctx, mastodon.id, { version: '1', default: 'allow' });
  const toolset = await createToolset(db, ctx, {
    name: 'Social',
    members: [
      { serverId: twikit.id, prefix: 'tw' },
      {
        serverId: mastodon.id,
        prefix: 'ma',
        tools: ['get_tweet', 'leave_community'],
        overrides: { get_tweet: { name: 'read_toot' } },
      },
    ],
  });
  return { twikit, mastodon, toolset };
}

describe('toolset call simulator', () => {
  it('allows what the member’s policy allows, naming the server and upstream tool', async () => {
    const { ctx } = await newOwner();
    const { twikit, toolset } = await socialToolset(ctx);
    expect(await simulateToolsetCall(db, ctx, toolset.id, 'tw__get_tweet', { tweet_id: '1' })).toEqual({
      serverId: twikit.id,
      serverName: 'Twikit',
      upstreamName: 'get_tweet',
      decision: { effect: 'allow', rule: '/tools/get_tweet', counters: [] },
    });
  });

  it('denies what the member’s policy denies, with the rule’s reason', async () => {
    const { ctx } = await newOwner();
    const { twikit, toolset } = await socialToolset(ctx);
    const result = await simulateToolsetCall(db, ctx, toolset.id, 'tw__delete_tweet', { tweet_id: '1' });
    expect(result).toMatchObject({
      serverId: twikit.id,
      upstreamName: 'delete_tweet',
      decision: { effect: 'deny', rule: '/tools/delete_tweet', reason: 'Deleting posts is not allowed here' },
    });
  });

  it('applies conditions on arguments: two argument sets, two decisions', async () => {
    const { ctx } = await newOwner();
    const { toolset } = await socialToolset(ctx);
    const sandbox = await simulateToolsetCall(db, ctx, toolset.id, 'tw__quit_group', {
      community_id: 'sandbox',
    });
    expect(sandbox.upstreamName).toBe('leave_community');
    expect(sandbox.decision).toMatchObject({ effect: 'allow', rule: '/tools/leave_community/conditions/0' });
    const other = await simulateToolsetCall(db, ctx, toolset.id, 'tw__quit_group', { community_id: 'main' });
    expect(other.decision).toMatchObject({
      effect: 'deny',
      rule: '/tools/leave_community',
      reason: 'Only the sandbox community may be left',
    });
  });

  it('hides a tool left out of the member’s subset, though its server’s policy allows it', async () => {
    const { ctx } = await newOwner();
    const { mastodon, toolset } = await socialToolset(ctx);
    expect(await simulateToolsetCall(db, ctx, toolset.id, 'ma__delete_tweet', {})).toEqual({
      serverId: mastodon.id,
      serverName: 'Mastodon',
      upstreamName: 'delete_tweet',
      decision: {
        effect: 'hide',
        rule: '(toolset)',
        reason: 'Tool ma__delete_tweet is not available on this server',
        counters: [],
      },
    });
    // In the subset, allowed by the same policy.
    expect(
      (await simulateToolsetCall(db, ctx, toolset.id, 'ma__leave_community', {})).decision,
    ).toMatchObject({ effect: 'allow', rule: '(default)' });
  });

  it('answers a renamed tool only to its override name (the toolset’s, else the server’s)', async () => {
    const { ctx } = await newOwner();
    const { mastodon, twikit, toolset } = await socialToolset(ctx);
    // The toolset's override.
    expect(await simulateToolsetCall(db, ctx, toolset.id, 'ma__read_toot', {})).toMatchObject({
      serverId: mastodon.id,
      upstreamName: 'get_tweet',
      decision: { effect: 'allow' },
    });
    expect(await simulateToolsetCall(db, ctx, toolset.id, 'ma__get_tweet', {})).toEqual({
      serverId: mastodon.id,
      serverName: 'Mastodon',
      upstreamName: null,
      decision: {
        effect: 'hide',
        rule: '(toolset)',
        reason: 'Tool ma__get_tweet is not available on this server',
        counters: [],
      },
    });
    // The server's override (tw__quit_group above answers).
    expect(await simulateToolsetCall(db, ctx, toolset.id, 'tw__leave_community', {})).toMatchObject({
      serverId: twikit.id,
      upstreamName: null,
      decision: { effect: 'hide', rule: '(toolset)' },
    });
    // A name the catalog does not know passes on as the gateway passes it: the catalog check refuses
    // it on a member with all tools, the subset on a member with a subset.
    expect(await simulateToolsetCall(db, ctx, toolset.id, 'tw__post_tweet', {})).toMatchObject({
      serverId: twikit.id,
      upstreamName: null,
      decision: {
        effect: 'deny',
        rule: '(catalog)',
        reason: 'Tool post_tweet is not available on this server',
      },
    });
    expect((await simulateToolsetCall(db, ctx, toolset.id, 'ma__post_toot', {})).decision).toMatchObject({
      effect: 'hide',
      rule: '(toolset)',
    });
  });

  it('says "not available in this toolset" for a prefix no member has', async () => {
    const { ctx } = await newOwner();
    const { toolset } = await socialToolset(ctx);
    for (const name of ['xx__get_tweet', 'get_tweet', '__get_tweet', 'tw_get_tweet'])
      expect(await simulateToolsetCall(db, ctx, toolset.id, name, {})).toEqual({
        serverId: null,
        serverName: null,
        upstreamName: null,
        decision: {
          effect: 'hide',
          rule: '(toolset)',
          reason: `Tool ${name} is not available in this toolset`,
          counters: [],
        },
      });
  });

  it('agrees with the effective-tools table for a call with no arguments', async () => {
    const { ctx } = await newOwner();
    const { toolset } = await socialToolset(ctx);
    const tools = await effectiveTools(db, ctx, toolset.id);
    expect(tools).toHaveLength(6);
    for (const tool of tools) {
      const result = await simulateToolsetCall(db, ctx, toolset.id, tool.exposedName, {});
      expect(result, tool.exposedName).toMatchObject({
        serverId: tool.serverId,
        upstreamName: tool.upstreamName,
        decision: tool.decision,
      });
    }
  });

  it('keeps organizations apart: another organization’s toolset is not found, its server not routed', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const { toolset: bToolset } = await socialToolset(b.ctx);
    const error = await refusal(simulateToolsetCall(db, a.ctx, bToolset.id, 'tw__get_tweet', {}));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe('Toolset not found');
    expect(
      await refusal(simulateToolsetCall(db, a.ctx, 'no-such-toolset', 'tw__get_tweet', {})),
    ).toBeInstanceOf(NotFoundError);

    // A member row naming another organization's server (written directly: the module refuses it)
    // is left out, as the gateway leaves it out.
    const aServer = await seedServer(a.ctx.organizationId, 'A server');
    const aToolset = await createToolset(db, a.ctx, {
      name: 'Mine',
      members: [{ serverId: aServer.id, prefix: 'mine' }],
    });
    const bServer = await db.mcpServer.findFirstOrThrow({
      where: { organizationId: b.ctx.organizationId, name: 'Twikit' },
    });
    await db.toolsetMember.create({
      data: {
        organizationId: a.ctx.organizationId,
        toolsetId: aToolset.id,
        serverId: bServer.id,
        prefix: 'theirs',
        position: 1,
      },
    });
    expect(await simulateToolsetCall(db, a.ctx, aToolset.id, 'theirs__get_tweet', {})).toMatchObject({
      serverId: null,
      decision: { effect: 'hide', reason: 'Tool theirs__get_tweet is not available in this toolset' },
    });
  });

  it('lets viewers try calls and refuses bad input naming the field', async () => {
    const owner = await newOwner();
    const { toolset } = await socialToolset(owner.ctx);
    const viewer = await addMember(owner.ctx.organizationId, owner.orgSlug, 'viewer');
    expect((await simulateToolsetCall(db, viewer.ctx, toolset.id, 'tw__get_tweet', {})).decision.effect).toBe(
      'allow',
    );
    // Omitted arguments are none.
    expect(
      (await simulateToolsetCall(db, viewer.ctx, toolset.id, 'tw__get_tweet', undefined)).decision.effect,
    ).toBe('allow');
    const bad = async (name: unknown, args: unknown) =>
      refusal(simulateToolsetCall(db, viewer.ctx, toolset.id, name as string, args));
    for (const [name, args, pointer, message] of [
      ['', {}, '/name', 'name: Enter the tool name an agent calls, e.g. twikit__get_tweet.'],
      [`tw__${'x'.repeat(125)}`, {}, '/name', 'name: A tool name is at most 128 characters.'],
      [42, {}, '/name', 'name: must be the tool name an agent calls, e.g. twikit__get_tweet.'],
      ['tw__get_tweet', [], '/arguments', 'arguments: must be a JSON object, e.g. {"tweet_id": "1"}.'],
      ['tw__get_tweet', 'x', '/arguments', 'arguments: must be a JSON object, e.g. {"tweet_id": "1"}.'],
      [
        'tw__get_tweet',
        { text: 'x'.repeat(64 * 1024) },
        '/arguments',
        'arguments: Arguments are larger than 64 KB; try the call with shorter values.',
      ],
    ] as const) {
      const error = await bad(name, args);
      expect(error, JSON.stringify(name).slice(0, 40)).toBeInstanceOf(ValidationError);
      expect(error.status).toBe(400);
      expect(error.pointer).toBe(pointer);
      expect(error.message).toBe(message);
    }
    // Just under the limit is taken.
    const padding = 'x'.repeat(64 * 1024 - '{"text":""}'.length);
    expect(
      (await simulateToolsetCall(db, viewer.ctx, toolset.id, 'tw__get_tweet', { text: padding })).decision
        .effect,
    ).toBe('allow');
    // A name no MCP tool can have, on a member's prefix: refused as the gateway refuses it.
    expect(
      (await simulateToolsetCall(db, viewer.ctx, toolset.id, 'tw__get tweet', {})).decision,
    ).toMatchObject({ effect: 'deny', rule: '(tool name)' });
  });
});

describe('POST /api/v1/toolsets/{toolsetId}/simulate', () => {
  async function post(key: string, toolsetId: string, body: unknown) {
    const res = await simulateRoute.POST(
      new Request(`http://dashboard.test/api/v1/toolsets/${toolsetId}/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
      { params: Promise.resolve({ toolsetId }) },
    );
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  }

  it('answers with a viewer key; 400 names the field; another organization’s toolset is 404', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const { twikit, toolset } = await socialToolset(a.ctx);
    const { toolset: bToolset } = await socialToolset(b.ctx);
    const key = (await createApiKey(db, a.ctx, { name: 'viewer', role: 'viewer' })).token;

    const ok = await post(key, toolset.id, { name: 'tw__quit_group', arguments: { community_id: 'main' } });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({
      simulation: {
        serverId: twikit.id,
        serverName: 'Twikit',
        upstreamName: 'leave_community',
        decision: {
          effect: 'deny',
          rule: '/tools/leave_community',
          reason: 'Only the sandbox community may be left',
          counters: [],
        },
      },
    });
    expect((await post(key, toolset.id, { name: 'tw__get_tweet' })).json.simulation.decision.effect).toBe(
      'allow',
    );

    const badArgs = await post(key, toolset.id, { name: 'tw__get_tweet', arguments: [1] });
    expect(badArgs.status).toBe(400);
    expect(badArgs.json).toEqual({
      error: { message: 'arguments: must be a JSON object, e.g. {"tweet_id": "1"}.', pointer: '/arguments' },
    });
    expect((await post(key, toolset.id, { name: 'x'.repeat(129) })).status).toBe(400);

    const foreign = await post(key, bToolset.id, { name: 'tw__get_tweet', arguments: {} });
    expect(foreign).toEqual({ status: 404, json: { error: { message: 'Toolset not found' } } });
  });
});
