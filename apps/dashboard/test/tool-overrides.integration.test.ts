// Tool overrides on a plain server (docs/toolsets.md): an editor sets what agents see instead of
// the upstream's name, title and description, or clears it. A name must be a valid MCP tool name
// and no other tool's name or override on the server (the refusal names both tools); the pinned
// definition and its hashes never change; the gateway hears of it ({ type: 'tools' }).
import pg from 'pg';
import { CHANGE_CHANNEL, parseChangeEvent, type ChangeEvent } from '@portcullis/db/events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addMember, db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { listTools, setToolOverrides } from '../src/modules/catalog/tools.ts';
import { PATCH as patchToolRoute } from '../src/app/api/v1/tools/[toolId]/route.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../src/server/errors.ts';

const events: ChangeEvent[] = [];
const listener = new pg.Client({ connectionString: process.env.DATABASE_URL });

beforeAll(async () => {
  await listener.connect();
  listener.on('notification', (message) => {
    const event = parseChangeEvent(message.payload);
    if (event) events.push(event);
  });
  await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
});
afterAll(() => listener.end());
beforeEach(async () => {
  await resetDatabase();
  events.length = 0;
});

async function setup() {
  const owner = await newOwner();
  const server = await seedServer(owner.ctx.organizationId);
  const tools = await db.tool.findMany({ where: { serverId: server.id } });
  const byName = (name: string) => tools.find((t) => t.name === name)!;
  return { ...owner, server, getTweet: byName('get_tweet'), deleteTweet: byName('delete_tweet') };
}

/** The fields pinning and approvals depend on: overrides must leave them as they were. */
const pinned = (id: string) =>
  db.tool.findUniqueOrThrow({
    where: { id },
    select: {
      definitionHash: true,
      approvedHash: true,
      approvedDefinition: true,
      pinState: true,
      name: true,
    },
  });

async function until(check: () => boolean) {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
}

describe('tool overrides', () => {
  it('saves and clears name, title and description, records them, and never touches the hashes', async () => {
    const { ctx, server, getTweet } = await setup();
    const before = await pinned(getTweet.id);

    const saved = await setToolOverrides(db, ctx, getTweet.id, {
      overrideName: 'read_post',
      overrideTitle: '  Read a post  ',
      overrideDescription: 'Reads one post by its id.',
    });
    expect(saved).toMatchObject({
      name: 'get_tweet',
      overrideName: 'read_post',
      overrideTitle: 'Read a post',
      overrideDescription: 'Reads one post by its id.',
    });
    expect(await pinned(getTweet.id)).toEqual(before);
    const listed = (await listTools(db, ctx, server.id)).find((t) => t.id === getTweet.id)!;
    // The catalog has both: the upstream's own text and the override.
    expect(listed).toMatchObject({ description: null, overrideDescription: 'Reads one post by its id.' });
    expect((await listTools(db, ctx, server.id, { q: 'read_post' })).map((t) => t.name)).toEqual([
      'get_tweet',
    ]);

    await until(() => events.length > 0);
    expect(events).toContainEqual({ type: 'tools', organizationId: ctx.organizationId, serverId: server.id });

    // An absent field stays; blank clears one.
    await setToolOverrides(db, ctx, getTweet.id, { overrideTitle: '' });
    expect(await db.tool.findUniqueOrThrow({ where: { id: getTweet.id } })).toMatchObject({
      overrideName: 'read_post',
      overrideTitle: null,
      overrideDescription: 'Reads one post by its id.',
    });
    await setToolOverrides(db, ctx, getTweet.id, {
      overrideName: null,
      overrideTitle: null,
      overrideDescription: null,
    });
    expect(await db.tool.findUniqueOrThrow({ where: { id: getTweet.id } })).toMatchObject({
      overrideName: null,
      overrideTitle: null,
      overrideDescription: null,
    });
    expect(await pinned(getTweet.id)).toEqual(before);

    const trail = await db.adminEvent.findMany({
      where: { organizationId: ctx.organizationId, action: 'tool.override' },
      orderBy: { createdAt: 'asc' },
    });
    expect(trail).toHaveLength(3);
    expect(trail[0]!.details).toMatchObject({
      name: 'get_tweet',
      serverId: server.id,
      previous: { name: null, title: null, description: null },
      override: { name: 'read_post', title: 'Read a post', description: 'Reads one post by its id.' },
    });
    expect(trail[2]!.details).toMatchObject({ override: { name: null, title: null, description: null } });
  });

  it("refuses another tool's name or override name, naming both tools, and invalid or long values", async () => {
    const { ctx, getTweet, deleteTweet } = await setup();
    const refusal = (input: Parameters<typeof setToolOverrides>[3], id = getTweet.id) =>
      setToolOverrides(db, ctx, id, input).then(
        () => {
          throw new Error('accepted');
        },
        (e: unknown) => e as ValidationError,
      );

    const sameAsName = await refusal({ overrideName: 'delete_tweet' });
    expect(sameAsName).toBeInstanceOf(ValidationError);
    expect(sameAsName.status).toBe(400);
    expect(sameAsName.pointer).toBe('/overrideName');
    expect(sameAsName.message).toMatch(/"delete_tweet" for get_tweet .* delete_tweet/);

    await setToolOverrides(db, ctx, deleteTweet.id, { overrideName: 'remove_post' });
    const sameAsOverride = await refusal({ overrideName: 'remove_post' });
    expect(sameAsOverride).toBeInstanceOf(ValidationError);
    expect(sameAsOverride.message).toMatch(/"remove_post" for get_tweet .* delete_tweet/);

    expect((await refusal({ overrideName: 'has space' })).message).toMatch(/"has space" is not valid/);
    expect((await refusal({ overrideName: 'x'.repeat(129) })).pointer).toBe('/overrideName');
    expect((await refusal({ overrideTitle: 't'.repeat(201) })).message).toMatch(/at most 200/);
    expect((await refusal({ overrideDescription: 'd'.repeat(4001) })).message).toMatch(/at most 4000/);
    expect(await db.tool.findUniqueOrThrow({ where: { id: getTweet.id } })).toMatchObject({
      overrideName: null,
      overrideTitle: null,
      overrideDescription: null,
    });

    // The limits themselves are fine; renaming to its own upstream name is no override.
    await setToolOverrides(db, ctx, getTweet.id, {
      overrideTitle: 't'.repeat(200),
      overrideDescription: 'd'.repeat(4000),
      overrideName: 'get_tweet',
    });
    expect((await db.tool.findUniqueOrThrow({ where: { id: getTweet.id } })).overrideName).toBeNull();
    // Freed names can be taken again.
    await setToolOverrides(db, ctx, deleteTweet.id, { overrideName: null });
    await setToolOverrides(db, ctx, getTweet.id, { overrideName: 'remove_post' });
  });

  it('refuses a rename that makes two tools of a toolset this server is in look alike', async () => {
    const { ctx, server, getTweet, deleteTweet } = await setup();
    const toolset = await db.toolset.create({ data: { organizationId: ctx.organizationId, name: 'Desk' } });
    await db.toolsetMember.create({
      data: {
        organizationId: ctx.organizationId,
        toolsetId: toolset.id,
        serverId: server.id,
        prefix: 'twikit',
        overrides: { delete_tweet: { name: 'scrub' } },
      },
    });
    const error: unknown = await setToolOverrides(db, ctx, getTweet.id, { overrideName: 'scrub' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(
      /toolset Desk: .*"twikit__scrub".*delete_tweet.*get_tweet/,
    );
    // Outside the member's subset the name is free in the toolset.
    await db.toolsetMember.updateMany({ data: { allTools: false, tools: ['get_tweet'] } });
    await setToolOverrides(db, ctx, getTweet.id, { overrideName: 'scrub' });
    expect((await db.tool.findUniqueOrThrow({ where: { id: deleteTweet.id } })).overrideName).toBeNull();
  });

  it('needs an editor, and finds only tools of the organization', async () => {
    const { ctx, orgSlug, getTweet } = await setup();
    const viewer = await addMember(ctx.organizationId, orgSlug, 'viewer');
    await expect(setToolOverrides(db, viewer.ctx, getTweet.id, { overrideName: 'x' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const other = await newOwner('Other');
    await expect(setToolOverrides(db, other.ctx, getTweet.id, { overrideName: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await db.tool.findUniqueOrThrow({ where: { id: getTweet.id } })).overrideName).toBeNull();
  });

  it('REST: PATCH /tools/{toolId} sets and clears overrides; a collision is a 400 naming both tools', async () => {
    const { ctx, getTweet } = await setup();
    const before = await pinned(getTweet.id);
    const key = (await createApiKey(db, ctx, { name: 'ci', role: 'editor' })).token;
    const readOnly = (await createApiKey(db, ctx, { name: 'ro', role: 'viewer' })).token;
    const patch = (body: unknown, token = key) =>
      patchToolRoute(
        new Request(`http://dashboard.test/api/v1/tools/${getTweet.id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        { params: Promise.resolve({ toolId: getTweet.id }) },
      );

    const ok = await patch({ overrideName: 'read_post', overrideDescription: 'Reads a post.' });
    expect(ok.status).toBe(200);
    expect((await ok.json()).tool).toMatchObject({
      id: getTweet.id,
      name: 'get_tweet',
      overrideName: 'read_post',
      overrideTitle: null,
      overrideDescription: 'Reads a post.',
      definitionHash: before.definitionHash,
    });
    const clash = await patch({ overrideName: 'leave_community' });
    expect(clash.status).toBe(400);
    expect((await clash.json()).error).toMatchObject({
      pointer: '/overrideName',
      message: expect.stringMatching(/get_tweet.*leave_community/),
    });
    expect((await patch({ riskCategory: 'read' })).status).toBe(400);
    expect((await patch({ overrideName: null }, readOnly)).status).toBe(403);
    const cleared = await patch({ overrideName: null, overrideDescription: '' });
    expect((await cleared.json()).tool).toMatchObject({ overrideName: null, overrideDescription: null });
    expect(await pinned(getTweet.id)).toEqual(before);
  });
});
