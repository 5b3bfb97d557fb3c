// Toolsets (docs/toolsets.md): saved in one transaction after the catalog and packages/policy's name
// rules have had their say; another organization's server reads like one that does not exist;
// deleting revokes the toolset's grants; every save and delete is announced on the change channel.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_CHANNEL, notifyChange, parseChangeEvent, type ChangeEvent } from '@portcullis/db/events';
import { addMember, db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { savePolicy } from '../src/modules/policies/policies.ts';
import { compileActivePolicy, toolEffect } from '../src/modules/catalog/policy-effect.ts';
import {
  createToolset,
  deleteToolset,
  describeEffect,
  effectiveTools,
  getToolset,
  listToolsets,
  updateToolset,
} from '../src/modules/toolsets/toolsets.ts';
import type { OrgContext } from '../src/server/context.ts';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../src/server/errors.ts';

beforeEach(resetDatabase);

// The change channel, as a gateway replica listens to it.
let listener: pg.Client;
const events: ChangeEvent[] = [];
beforeAll(async () => {
  listener = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await listener.connect();
  listener.on('notification', (message) => {
    const event = parseChangeEvent(message.payload);
    if (event) events.push(event);
  });
  await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
});
afterAll(async () => {
  await listener?.end();
});

/** Every event up to now: a marker is sent and awaited, so nothing sent before it is still on its way. */
async function settledEvents(): Promise<ChangeEvent[]> {
  const marker = `marker-${randomBytes(6).toString('hex')}`;
  await notifyChange(db, { type: 'grant', organizationId: marker, grantId: marker });
  const deadline = Date.now() + 5_000;
  while (!events.some((e) => e.organizationId === marker)) {
    if (Date.now() > deadline) throw new Error('the change channel did not deliver the marker');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return events.splice(0).filter((e) => e.organizationId !== marker);
}

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

/** Rows a failed save must not have written. */
async function rowCounts(organizationId: string) {
  const where = { organizationId };
  return {
    toolsets: await db.toolset.count({ where }),
    members: await db.toolsetMember.count({ where }),
    adminEvents: await db.adminEvent.count({ where }),
  };
}

async function twoServers(ctx: OrgContext) {
  const twikit = await seedServer(ctx.organizationId, 'Twikit (prod)');
  const mastodon = await seedServer(ctx.organizationId, 'Mastodon');
  return { twikit, mastodon };
}

describe('toolsets: create, update, delete', () => {
  it('creates with default prefixes, updates members, and lists and reads back what was saved', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    await settledEvents();
    const created = await createToolset(db, ctx, {
      name: 'Social',
      description: 'Both networks',
      members: [{ serverId: twikit.id }, { serverId: mastodon.id, prefix: 'toots' }],
    });
    expect(created.members).toEqual([
      expect.objectContaining({
        serverId: twikit.id,
        serverName: 'Twikit (prod)',
        prefix: 'twikit-prod',
        allTools: true,
        tools: [],
      }),
      expect.objectContaining({ serverId: mastodon.id, prefix: 'toots', allTools: true }),
    ]);
    expect(created.description).toBe('Both networks');
    expect(await settledEvents()).toEqual([
      { type: 'toolset', organizationId: ctx.organizationId, toolsetId: created.id },
    ]);

    // A subset (tools given, allTools left out) and an override; Mastodon leaves.
    const updated = await updateToolset(db, ctx, created.id, {
      members: [
        {
          serverId: twikit.id,
          tools: ['get_tweet', 'get_tweet', 'leave_community'],
          overrides: { get_tweet: { name: 'read_tweet', title: '', description: 'Reads one post.' } },
        },
      ],
    });
    expect(updated.name).toBe('Social');
    expect(updated.members).toEqual([
      {
        serverId: twikit.id,
        serverName: 'Twikit (prod)',
        prefix: 'twikit-prod',
        allTools: false,
        tools: ['get_tweet', 'leave_community'],
        // The empty title is no override.
        overrides: { get_tweet: { name: 'read_tweet', description: 'Reads one post.' } },
      },
    ]);
    expect(await db.toolsetMember.count({ where: { toolsetId: created.id } })).toBe(1);
    expect(await settledEvents()).toEqual([
      { type: 'toolset', organizationId: ctx.organizationId, toolsetId: created.id },
    ]);

    // A patch without members keeps them.
    const renamed = await updateToolset(db, ctx, created.id, { name: 'Social (read)', description: null });
    expect(renamed).toMatchObject({ name: 'Social (read)', description: null });
    expect(renamed.members).toEqual(updated.members);
    expect((await listToolsets(db, ctx)).map((t) => t.name)).toEqual(['Social (read)']);
    expect((await getToolset(db, ctx, created.id)).members[0]!.tools).toEqual([
      'get_tweet',
      'leave_community',
    ]);

    const trail = await db.adminEvent.findMany({
      where: { organizationId: ctx.organizationId, targetType: 'toolset' },
      orderBy: { createdAt: 'asc' },
    });
    expect(trail.map((e) => [e.action, e.targetId])).toEqual([
      ['toolset.create', created.id],
      ['toolset.update', created.id],
      ['toolset.update', created.id],
    ]);
    expect(trail[0]!.details).toMatchObject({
      name: 'Social',
      members: [
        { serverId: twikit.id, prefix: 'twikit-prod', tools: 'all' },
        { serverId: mastodon.id, prefix: 'toots', tools: 'all' },
      ],
    });
  });

  it('refuses a second toolset of the same name (409), and frees the name on delete', async () => {
    const { ctx } = await newOwner();
    const { twikit } = await twoServers(ctx);
    const first = await createToolset(db, ctx, { name: 'Ops', members: [{ serverId: twikit.id }] });
    const error = await refusal(createToolset(db, ctx, { name: 'Ops', members: [{ serverId: twikit.id }] }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('A toolset named "Ops" already exists.');
    await deleteToolset(db, ctx, first.id);
    const again = await createToolset(db, ctx, { name: 'Ops', members: [{ serverId: twikit.id }] });
    expect(again.id).not.toBe(first.id);
  });

  it('deletes softly, revokes the toolset’s active grants with it, and announces both', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    const toolset = await createToolset(db, ctx, {
      name: 'Social',
      members: [{ serverId: twikit.id }, { serverId: mastodon.id }],
    });
    const other = await createToolset(db, ctx, { name: 'Other', members: [{ serverId: twikit.id }] });
    const grant = (data: { toolsetId?: string; serverId?: string; revokedAt?: Date }) =>
      db.grant.create({
        data: {
          organizationId: ctx.organizationId,
          name: 'agent',
          tokenHash: randomBytes(32).toString('hex'),
          tokenPrefix: 'pcg_test',
          ...data,
        },
      });
    const active = await grant({ toolsetId: toolset.id });
    const earlier = new Date(Date.now() - 60_000);
    const alreadyRevoked = await grant({ toolsetId: toolset.id, revokedAt: earlier });
    const otherToolsets = await grant({ toolsetId: other.id });
    const serverGrant = await grant({ serverId: twikit.id });
    const approval = await db.approval.create({
      data: {
        organizationId: ctx.organizationId,
        grantId: active.id,
        serverId: twikit.id,
        toolName: 'delete_tweet',
        argumentsHash: 'h',
        expiresAt: new Date(Date.now() + 600_000),
      },
    });
    expect((await getToolset(db, ctx, toolset.id)).activeGrants).toBe(1);
    await settledEvents();

    expect(await deleteToolset(db, ctx, toolset.id)).toEqual({ revokedGrants: 1 });

    const row = await db.toolset.findUniqueOrThrow({ where: { id: toolset.id } });
    expect(row.deletedAt).not.toBeNull();
    expect(await db.toolsetMember.count({ where: { toolsetId: toolset.id } })).toBe(2);
    const revokedAt = (id: string) => db.grant.findUniqueOrThrow({ where: { id } }).then((g) => g.revokedAt);
    expect(await revokedAt(active.id)).not.toBeNull();
    expect(await revokedAt(alreadyRevoked.id)).toEqual(earlier);
    expect(await revokedAt(otherToolsets.id)).toBeNull();
    expect(await revokedAt(serverGrant.id)).toBeNull();
    expect((await db.approval.findUniqueOrThrow({ where: { id: approval.id } })).status).toBe('expired');
    expect(await refusal(getToolset(db, ctx, toolset.id))).toBeInstanceOf(NotFoundError);
    expect(await refusal(deleteToolset(db, ctx, toolset.id))).toBeInstanceOf(NotFoundError);
    expect((await listToolsets(db, ctx)).map((t) => t.id)).toEqual([other.id]);
    expect(
      await db.adminEvent.findFirst({
        where: { organizationId: ctx.organizationId, action: 'toolset.delete' },
        select: { targetId: true, details: true },
      }),
    ).toEqual({ targetId: toolset.id, details: { name: 'Social', revokedGrants: 1 } });
    const announced = await settledEvents();
    expect(announced).toContainEqual({
      type: 'toolset',
      organizationId: ctx.organizationId,
      toolsetId: toolset.id,
    });
    expect(announced).toContainEqual({
      type: 'grant',
      organizationId: ctx.organizationId,
      grantId: active.id,
    });
    expect(announced).toHaveLength(2);
  });
});

describe('toolsets: what a save refuses', () => {
  it('names both servers when two members share a prefix', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    const error = await refusal(
      createToolset(db, ctx, {
        name: 'Social',
        members: [
          { serverId: twikit.id, prefix: 'social' },
          { serverId: mastodon.id, prefix: 'social' },
        ],
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.status).toBe(400);
    expect(error.message).toContain(
      'Prefix "social" is used by both Twikit (prod) and Mastodon; give one another prefix',
    );
  });

  it('names both tools when overrides give two tools one exposed name', async () => {
    const { ctx } = await newOwner();
    const { twikit } = await twoServers(ctx);
    const error = await refusal(
      createToolset(db, ctx, {
        name: 'Social',
        members: [{ serverId: twikit.id, prefix: 'tw', overrides: { get_tweet: { name: 'delete_tweet' } } }],
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(
      /Tool name "tw__delete_tweet" is used by both Twikit \(prod\)'s tool (get_tweet|delete_tweet) and Twikit \(prod\)'s tool (get_tweet|delete_tweet)/,
    );
    expect(error.message).toContain("Twikit (prod)'s tool get_tweet");
    expect(error.message).toContain("Twikit (prod)'s tool delete_tweet");
    // Left out of the subset, the colliding tool no longer claims the name.
    const ok = await createToolset(db, ctx, {
      name: 'Social',
      members: [
        {
          serverId: twikit.id,
          prefix: 'tw',
          tools: ['get_tweet'],
          overrides: { get_tweet: { name: 'delete_tweet' } },
        },
      ],
    });
    expect(ok.members[0]!.overrides).toEqual({ get_tweet: { name: 'delete_tweet' } });
  });

  it('names a server-level override name that collides, too', async () => {
    const { ctx } = await newOwner();
    const { twikit } = await twoServers(ctx);
    await db.tool.updateMany({
      where: { serverId: twikit.id, name: 'leave_community' },
      data: { overrideName: 'get_tweet' },
    });
    const error = await refusal(
      createToolset(db, ctx, { name: 'Social', members: [{ serverId: twikit.id, prefix: 'tw' }] }),
    );
    expect(error.message).toContain('Tool name "tw__get_tweet" is used by both');
    expect(error.message).toContain("Twikit (prod)'s tool leave_community");
  });

  it('names both servers when two members list one resource URI', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    await db.mcpServer.update({
      where: { id: twikit.id },
      data: { resourceUris: ['file:///feed', 'file:///a'] },
    });
    await db.mcpServer.update({ where: { id: mastodon.id }, data: { resourceUris: ['file:///feed'] } });
    const error = await refusal(
      createToolset(db, ctx, {
        name: 'Social',
        members: [{ serverId: twikit.id }, { serverId: mastodon.id }],
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(
      'Resource file:///feed is listed by both Twikit (prod) and Mastodon; a toolset routes each URI to one server',
    );
    expect(error.message).not.toContain('file:///a');
  });

  it('reports every name problem at once', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    await db.mcpServer.updateMany({
      where: { id: { in: [twikit.id, mastodon.id] } },
      data: { resourceUris: ['file:///feed'] },
    });
    const error = await refusal(
      createToolset(db, ctx, {
        name: 'Social',
        members: [
          { serverId: twikit.id, prefix: 'Bad__Prefix' },
          { serverId: mastodon.id, prefix: 'Bad__Prefix' },
        ],
      }),
    );
    expect(error.message).toContain('Prefix "Bad__Prefix" of Twikit (prod) is not valid');
    expect(error.message).toContain('Prefix "Bad__Prefix" is used by both Twikit (prod) and Mastodon');
    expect(error.message).toContain('Resource file:///feed is listed by both Twikit (prod) and Mastodon');
  });

  it('refuses another organization’s server exactly like one that does not exist, and writes nothing', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const own = await seedServer(a.ctx.organizationId, 'Own');
    const foreign = await seedServer(b.ctx.organizationId, 'B secret server');
    const attempt = (serverId: string) =>
      refusal(
        createToolset(db, a.ctx, {
          name: 'Mixed',
          members: [{ serverId: own.id }, { serverId }],
        }),
      );
    const before = await rowCounts(a.ctx.organizationId);
    const beforeB = await rowCounts(b.ctx.organizationId);
    const foreignError = await attempt(foreign.id);
    const unknownError = await attempt(`c${randomBytes(12).toString('hex')}`);
    expect(foreignError).toBeInstanceOf(ValidationError);
    expect([foreignError.status, foreignError.message, foreignError.pointer]).toEqual([
      unknownError.status,
      unknownError.message,
      unknownError.pointer,
    ]);
    expect(foreignError.message).toBe(
      'Toolset not saved: members/1/serverId: no server with this id in this organization (it may have been deleted).',
    );
    expect(foreignError.pointer).toBe('/members/1/serverId');
    expect(foreignError.message).not.toContain('B secret server');
    // A deleted server of one's own reads the same.
    await db.mcpServer.update({ where: { id: own.id }, data: { deletedAt: new Date() } });
    const deleted = await refusal(
      createToolset(db, a.ctx, { name: 'Mixed', members: [{ serverId: own.id }] }),
    );
    expect(deleted.message).toContain('members/0/serverId: no server with this id in this organization');
    expect(await rowCounts(a.ctx.organizationId)).toEqual(before);
    expect(await rowCounts(b.ctx.organizationId)).toEqual(beforeB);
  });

  it('keeps organizations apart: another organization’s toolset is not found for reads and writes', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const bServer = await seedServer(b.ctx.organizationId, 'B server');
    const aServer = await seedServer(a.ctx.organizationId, 'A server');
    const bToolset = await createToolset(db, b.ctx, { name: 'B set', members: [{ serverId: bServer.id }] });
    const before = await db.toolset.findUniqueOrThrow({
      where: { id: bToolset.id },
      include: { members: true },
    });
    expect(await refusal(getToolset(db, a.ctx, bToolset.id))).toBeInstanceOf(NotFoundError);
    expect(await refusal(effectiveTools(db, a.ctx, bToolset.id))).toBeInstanceOf(NotFoundError);
    expect(
      await refusal(
        updateToolset(db, a.ctx, bToolset.id, { name: 'taken', members: [{ serverId: aServer.id }] }),
      ),
    ).toBeInstanceOf(NotFoundError);
    expect(await refusal(deleteToolset(db, a.ctx, bToolset.id))).toBeInstanceOf(NotFoundError);
    expect(await listToolsets(db, a.ctx)).toEqual([]);
    expect(
      await db.toolset.findUniqueOrThrow({ where: { id: bToolset.id }, include: { members: true } }),
    ).toEqual(before);
  });

  it('checks members against the catalog: subset and override tools, duplicates, sizes, names', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    await db.tool.updateMany({
      where: { serverId: twikit.id, name: 'delete_tweet' },
      data: { present: false },
    });
    const message = async (members: unknown[], extra: Record<string, unknown> = {}) =>
      (await refusal(createToolset(db, ctx, { name: 'S', members, ...extra } as never))).message;

    expect(await message([])).toBe('members: Add at least one server.');
    expect(await message([{ serverId: twikit.id }, { serverId: twikit.id, prefix: 'again' }])).toContain(
      'members/1/serverId: Twikit (prod) is already member 1 of this toolset; a server can be in a toolset once.',
    );
    expect(await message([{ serverId: twikit.id, tools: ['get_tweet', 'post_tweet', 'delete_tweet'] }])).toBe(
      'Toolset not saved: members/0/tools: Twikit (prod) has no tool "post_tweet", "delete_tweet" in its catalog (sync the server if the tool is new).',
    );
    expect(await message([{ serverId: twikit.id, allTools: true, tools: ['get_tweet'] }])).toContain(
      'members/0/tools: Twikit (prod) has allTools set; name tools only for a subset (allTools false).',
    );
    expect(
      await message([
        { serverId: mastodon.id, overrides: { send_toot: { title: 'x' }, get_tweet: { title: 'ok' } } },
      ]),
    ).toBe(
      'Toolset not saved: members/0/overrides: Mastodon has no tool "send_toot" in its catalog to override.',
    );
    expect(await message([{ serverId: twikit.id, overrides: { get_tweet: { name: 'read tweet' } } }])).toBe(
      'Toolset not saved: members/0/overrides/get_tweet/name: "read tweet" is not a valid tool name: use 1 to 128 letters, digits, "_", "-" or ".".',
    );
    expect(
      await message([{ serverId: twikit.id, overrides: { get_tweet: { title: 't'.repeat(201) } } }]),
    ).toBe('members/0/overrides/get_tweet/title: An override title must be at most 200 characters.');
    expect(
      await message([{ serverId: twikit.id, overrides: { get_tweet: { description: 'd'.repeat(4_001) } } }]),
    ).toBe(
      'members/0/overrides/get_tweet/description: An override description must be at most 4000 characters.',
    );
    expect(
      await message([{ serverId: twikit.id, overrides: { get_tweet: { name: 'n'.repeat(129) } } }]),
    ).toBe('members/0/overrides/get_tweet/name: An override name must be at most 128 characters.');
    // The exposed name (prefix included) must still fit MCP's 128 characters.
    expect(
      await message([
        { serverId: twikit.id, prefix: 'tw', overrides: { get_tweet: { name: 'n'.repeat(127) } } },
      ]),
    ).toContain(`Tool name "tw__${'n'.repeat(127)}" (Twikit (prod)'s tool get_tweet) is not valid`);
    // Lengths that fit are saved.
    const saved = await createToolset(db, ctx, {
      name: 'S',
      members: [
        {
          serverId: twikit.id,
          overrides: { get_tweet: { title: 't'.repeat(200), description: 'd'.repeat(4_000) } },
        },
      ],
    });
    expect(saved.members[0]!.overrides.get_tweet).toEqual({
      title: 't'.repeat(200),
      description: 'd'.repeat(4_000),
    });
  });

  it('writes nothing when a save is refused: a failed update leaves the members as they were', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    const toolset = await createToolset(db, ctx, {
      name: 'Social',
      members: [{ serverId: twikit.id, prefix: 'tw' }],
    });
    await settledEvents();
    const before = await rowCounts(ctx.organizationId);
    const rows = () =>
      db.toolsetMember.findMany({ where: { toolsetId: toolset.id }, orderBy: { position: 'asc' } });
    const membersBefore = await rows();
    const error = await refusal(
      updateToolset(db, ctx, toolset.id, {
        name: 'Renamed',
        members: [
          { serverId: twikit.id, prefix: 'same' },
          { serverId: mastodon.id, prefix: 'same' },
        ],
      }),
    );
    expect(error.message).toContain('Prefix "same" is used by both Twikit (prod) and Mastodon');
    await refusal(
      createToolset(db, ctx, { name: 'Another', members: [{ serverId: twikit.id, tools: ['nope'] }] }),
    );
    expect(await rowCounts(ctx.organizationId)).toEqual(before);
    expect(await rows()).toEqual(membersBefore);
    expect((await getToolset(db, ctx, toolset.id)).name).toBe('Social');
    expect(await settledEvents()).toEqual([]);
  });

  it('lets viewers read and refuses their writes', async () => {
    const owner = await newOwner();
    const { twikit } = await twoServers(owner.ctx);
    const toolset = await createToolset(db, owner.ctx, {
      name: 'Social',
      members: [{ serverId: twikit.id }],
    });
    const viewer = await addMember(owner.ctx.organizationId, owner.orgSlug, 'viewer');
    const editor = await addMember(owner.ctx.organizationId, owner.orgSlug, 'editor');
    await settledEvents();
    const before = await rowCounts(owner.ctx.organizationId);
    expect((await listToolsets(db, viewer.ctx)).map((t) => t.id)).toEqual([toolset.id]);
    expect((await getToolset(db, viewer.ctx, toolset.id)).name).toBe('Social');
    expect((await effectiveTools(db, viewer.ctx, toolset.id)).length).toBe(3);
    for (const write of [
      () => createToolset(db, viewer.ctx, { name: 'Mine', members: [{ serverId: twikit.id }] }),
      () => updateToolset(db, viewer.ctx, toolset.id, { name: 'Mine' }),
      () => deleteToolset(db, viewer.ctx, toolset.id),
    ]) {
      const error = await refusal(write());
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe('Only editors and above can do this; your role is viewer.');
    }
    expect(await rowCounts(owner.ctx.organizationId)).toEqual(before);
    expect(await settledEvents()).toEqual([]);
    // Editors may.
    expect((await updateToolset(db, editor.ctx, toolset.id, { name: 'Edited' })).name).toBe('Edited');
  });
});

describe('effective tools', () => {
  it('shows each tool’s upstream text beside its override and decides it as the catalog does, narrowed by the toolset', async () => {
    const { ctx } = await newOwner();
    const { twikit, mastodon } = await twoServers(ctx);
    await db.tool.updateMany({
      where: { serverId: twikit.id, name: 'get_tweet' },
      data: { title: 'Get tweet', description: 'Fetches one tweet by id.', overrideTitle: 'Read a post' },
    });
    await db.tool.updateMany({
      where: { serverId: twikit.id, name: 'leave_community' },
      data: { overrideName: 'quit_group' },
    });
    // A tool new since the catalog was reviewed: held by pinning whatever the policy says.
    await db.tool.updateMany({
      where: { serverId: mastodon.id, name: 'get_tweet' },
      data: { pinState: 'pending' },
    });
    const document = {
      version: '1',
      default: 'deny',
      tools: {
        get_tweet: { action: 'allow' },
        '@write': { action: 'allow', rate_limit: { max: 5, window: 'minute' } },
        delete_tweet: { action: 'require_approval' },
      },
    };
    await savePolicy(db, ctx, twikit.id, document);
    await savePolicy(db, ctx, mastodon.id, { version: '1', default: 'allow' });
    const toolset = await createToolset(db, ctx, {
      name: 'Social',
      members: [
        {
          serverId: twikit.id,
          prefix: 'tw',
          tools: ['get_tweet', 'leave_community'],
          overrides: { get_tweet: { description: 'Reads one post (toolset wording).' } },
        },
        { serverId: mastodon.id, prefix: 'ma' },
      ],
    });
    const tools = await effectiveTools(db, ctx, toolset.id);
    const by = new Map(tools.map((t) => [t.exposedName, t]));
    expect([...by.keys()].sort()).toEqual(
      [
        'ma__delete_tweet',
        'ma__get_tweet',
        'ma__leave_community',
        'tw__delete_tweet',
        'tw__get_tweet',
        'tw__quit_group',
      ].sort(),
    );

    const getTweet = by.get('tw__get_tweet')!;
    expect(getTweet).toMatchObject({
      serverId: twikit.id,
      serverName: 'Twikit (prod)',
      upstreamName: 'get_tweet',
      upstream: { title: 'Get tweet', description: 'Fetches one tweet by id.' },
      serverOverride: { title: 'Read a post' },
      toolsetOverride: { description: 'Reads one post (toolset wording).' },
      shown: { title: 'Read a post', description: 'Reads one post (toolset wording).' },
      inSubset: true,
      decision: { effect: 'allow', rule: '/tools/get_tweet' },
    });
    // The catalog's own function on the same policy and tool.
    const compiled = compileActivePolicy(document);
    expect(getTweet.policy).toEqual(toolEffect(compiled, { name: 'get_tweet', category: 'read' }));
    expect(describeEffect(getTweet)).toEqual({ effect: 'allow', label: 'Allowed' });

    const quit = by.get('tw__quit_group')!;
    expect(quit).toMatchObject({
      upstreamName: 'leave_community',
      serverOverride: { name: 'quit_group' },
      inSubset: true,
    });
    expect(quit.policy).toEqual(toolEffect(compiled, { name: 'leave_community', category: 'write' }));
    expect(describeEffect(quit)).toEqual({ effect: 'allow', label: 'Limited 5/minute' });

    // Allowed (with approval) by the server's policy, but left out of the toolset's subset.
    const del = by.get('tw__delete_tweet')!;
    expect(del.inSubset).toBe(false);
    expect(del.policy.effect).toBe('require_approval');
    expect(del.decision).toEqual({
      effect: 'hide',
      rule: '(toolset)',
      reason: 'Tool tw__delete_tweet is not available on this server',
    });
    expect(describeEffect(del)).toEqual({ effect: 'hide', label: 'Hidden: not in this toolset' });

    // In the toolset, allowed by the policy, held by pinning.
    const pending = by.get('ma__get_tweet')!;
    expect(pending.inSubset).toBe(true);
    expect(pending.policy.effect).toBe('allow');
    expect(pending.decision).toMatchObject({ effect: 'deny', rule: '(pinning)' });
    expect(describeEffect(pending).label).toMatch(/new since this server's catalog was reviewed/);
    expect(by.get('ma__delete_tweet')!.decision).toMatchObject({ effect: 'allow' });
  });

  it('names tools called like Object.prototype’s members by their own names', async () => {
    const { ctx } = await newOwner();
    const { twikit } = await twoServers(ctx);
    for (const name of ['constructor', 'toString']) {
      await db.tool.create({
        data: {
          organizationId: ctx.organizationId,
          serverId: twikit.id,
          name,
          inputSchema: { type: 'object' },
          definitionHash: `h-${name}`,
          approvedHash: `h-${name}`,
          riskCategory: 'read',
          riskSeverity: 'low',
          riskWhy: 'test',
        },
      });
    }
    const toolset = await createToolset(db, ctx, {
      name: 'S',
      members: [{ serverId: twikit.id, prefix: 'tw', overrides: { toString: { name: 'to_text' } } }],
    });
    const names = (await effectiveTools(db, ctx, toolset.id)).map((t) => t.exposedName).sort();
    expect(names).toEqual(
      ['tw__constructor', 'tw__delete_tweet', 'tw__get_tweet', 'tw__leave_community', 'tw__to_text'].sort(),
    );
  });

  it('denies every tool of a member without a policy', async () => {
    const { ctx } = await newOwner();
    const { twikit } = await twoServers(ctx);
    const toolset = await createToolset(db, ctx, { name: 'S', members: [{ serverId: twikit.id }] });
    const tools = await effectiveTools(db, ctx, toolset.id);
    expect(tools).toHaveLength(3);
    for (const t of tools) {
      expect(t.decision).toMatchObject({ effect: 'deny', rule: '(no policy)' });
      expect(t.policy).toMatchObject({ effect: 'deny', rule: 'no policy' });
      expect(describeEffect(t)).toEqual({ effect: 'deny', label: 'No policy is active for this server' });
    }
  });
});
