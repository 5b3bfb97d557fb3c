// REST /api/v1/toolsets: API keys as for every route, validation answered 400 naming the field,
// another organization's toolset 404 (exactly as a missing one), and the routes in the OpenAPI document.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { openApiDocument } from '../src/modules/api/v1/openapi.ts';
import { createToolset } from '../src/modules/toolsets/toolsets.ts';
import * as collection from '../src/app/api/v1/toolsets/route.ts';
import * as item from '../src/app/api/v1/toolsets/[toolsetId]/route.ts';

let adminKey = '';
let viewerKey = '';
let organizationId = '';
let twikitId = '';
let mastodonId = '';
let foreignServerId = '';
let foreignToolsetId = '';

beforeAll(async () => {
  await resetDatabase();
  const a = await newOwner('A');
  const b = await newOwner('B');
  organizationId = a.ctx.organizationId;
  adminKey = (await createApiKey(db, a.ctx, { name: 'admin', role: 'admin' })).token;
  viewerKey = (await createApiKey(db, a.ctx, { name: 'viewer', role: 'viewer' })).token;
  twikitId = (await seedServer(organizationId, 'Twikit')).id;
  mastodonId = (await seedServer(organizationId, 'Mastodon')).id;
  foreignServerId = (await seedServer(b.ctx.organizationId, 'B server')).id;
  foreignToolsetId = (
    await createToolset(db, b.ctx, { name: 'B toolset', members: [{ serverId: foreignServerId }] })
  ).id;
});

type Handler<P> = (r: Request, c: { params: Promise<P> }) => Promise<Response>;

async function call<P extends { toolsetId?: string }>(
  handler: Handler<P>,
  method: string,
  params: P,
  body?: unknown,
  key = adminKey,
): Promise<{ status: number; json: Record<string, any> }> {
  const path = params.toolsetId ? `/api/v1/toolsets/${params.toolsetId}` : '/api/v1/toolsets';
  const res = await handler(
    new Request(`http://dashboard.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
    { params: Promise.resolve(params) },
  );
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('REST /api/v1/toolsets', () => {
  it('creates, lists, reads with effective tools, patches, replaces and deletes', async () => {
    const created = await call(
      collection.POST,
      'POST',
      {},
      {
        name: 'Social',
        members: [{ serverId: twikitId }, { serverId: mastodonId, tools: ['get_tweet'] }],
      },
    );
    expect(created.status).toBe(201);
    const id = created.json.toolset.id as string;
    expect(created.json.toolset.members).toMatchObject([
      { serverId: twikitId, prefix: 'twikit', allTools: true },
      { serverId: mastodonId, prefix: 'mastodon', allTools: false, tools: ['get_tweet'] },
    ]);

    const list = await call(collection.GET, 'GET', {});
    expect(list.status).toBe(200);
    expect(list.json.toolsets.map((t: { id: string }) => t.id)).toEqual([id]);

    const one = await call(item.GET, 'GET', { toolsetId: id });
    expect(one.status).toBe(200);
    expect(one.json.toolset.name).toBe('Social');
    const exposed = (
      one.json.tools as Array<{ exposedName: string; inSubset: boolean; decision: { rule: string } }>
    )
      .map((t) => `${t.exposedName} ${t.inSubset ? 'in' : 'out'} ${t.decision.rule}`)
      .sort();
    expect(exposed).toEqual([
      'mastodon__delete_tweet out (toolset)',
      'mastodon__get_tweet in (no policy)',
      'mastodon__leave_community out (toolset)',
      'twikit__delete_tweet in (no policy)',
      'twikit__get_tweet in (no policy)',
      'twikit__leave_community in (no policy)',
    ]);

    const patched = await call(item.PATCH, 'PATCH', { toolsetId: id }, { name: 'Social media' });
    expect(patched.status).toBe(200);
    expect(patched.json.toolset).toMatchObject({ name: 'Social media' });
    expect(patched.json.toolset.members).toHaveLength(2);

    const replaced = await call(
      item.PUT,
      'PUT',
      { toolsetId: id },
      {
        name: 'Only Twikit',
        members: [{ serverId: twikitId, prefix: 'tw', overrides: { get_tweet: { name: 'read' } } }],
      },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.json.toolset.members).toEqual([
      {
        serverId: twikitId,
        serverName: 'Twikit',
        prefix: 'tw',
        allTools: true,
        tools: [],
        overrides: { get_tweet: { name: 'read' } },
      },
    ]);
    // PUT replaces everything: a body without members is refused.
    const partialPut = await call(item.PUT, 'PUT', { toolsetId: id }, { name: 'x' });
    expect(partialPut.status).toBe(400);
    expect(partialPut.json.error.pointer).toBe('/members');

    await db.grant.create({
      data: {
        organizationId,
        toolsetId: id,
        name: 'agent',
        tokenHash: randomBytes(32).toString('hex'),
        tokenPrefix: 'pcg_test',
      },
    });
    const deleted = await call(item.DELETE, 'DELETE', { toolsetId: id });
    expect(deleted).toEqual({ status: 200, json: { deleted: true, revokedGrants: 1 } });
    expect((await call(item.GET, 'GET', { toolsetId: id })).status).toBe(404);
    expect((await call(collection.GET, 'GET', {})).json.toolsets).toEqual([]);
  });

  it('answers 400 naming the problem, the same for another organization’s server as for a missing one', async () => {
    const collision = await call(
      collection.POST,
      'POST',
      {},
      {
        name: 'Clash',
        members: [
          { serverId: twikitId, prefix: 'same' },
          { serverId: mastodonId, prefix: 'same' },
        ],
      },
    );
    expect(collision.status).toBe(400);
    expect(collision.json.error.message).toContain('Prefix "same" is used by both Twikit and Mastodon');
    expect(collision.json.error.pointer).toBe('/members');

    const empty = await call(collection.POST, 'POST', {}, { name: 'Empty', members: [] });
    expect(empty).toEqual({
      status: 400,
      json: { error: { message: 'members: Add at least one server.', pointer: '/members' } },
    });
    const extra = await call(
      collection.POST,
      'POST',
      {},
      {
        name: 'x',
        members: [{ serverId: twikitId, colour: 'red' }],
      },
    );
    expect(extra.status).toBe(400);
    expect(extra.json.error.pointer).toBe('/members/0');

    const foreign = await call(
      collection.POST,
      'POST',
      {},
      {
        name: 'Mixed',
        members: [{ serverId: foreignServerId }],
      },
    );
    const missing = await call(
      collection.POST,
      'POST',
      {},
      {
        name: 'Mixed',
        members: [{ serverId: `c${randomBytes(12).toString('hex')}` }],
      },
    );
    expect(foreign.status).toBe(400);
    expect(foreign).toEqual(missing);
    expect(JSON.stringify(foreign.json)).not.toContain(foreignServerId);
    expect(await db.toolset.count({ where: { organizationId, deletedAt: null } })).toBe(0);
  });

  it('answers 404 for another organization’s toolset, exactly as for a missing one, and leaves it alone', async () => {
    const missingId = `c${randomBytes(12).toString('hex')}`;
    const before = await db.toolset.findUniqueOrThrow({
      where: { id: foreignToolsetId },
      include: { members: true },
    });
    const body = { name: 'taken over', members: [{ serverId: twikitId }] };
    for (const [handler, method, payload] of [
      [item.GET, 'GET', undefined],
      [item.PUT, 'PUT', body],
      [item.PATCH, 'PATCH', { name: 'taken over' }],
      [item.DELETE, 'DELETE', undefined],
    ] as const) {
      const foreign = await call(handler, method, { toolsetId: foreignToolsetId }, payload);
      const missing = await call(handler, method, { toolsetId: missingId }, payload);
      expect(foreign, method).toEqual({ status: 404, json: { error: { message: 'Toolset not found' } } });
      expect(missing, method).toEqual(foreign);
    }
    expect(
      await db.toolset.findUniqueOrThrow({ where: { id: foreignToolsetId }, include: { members: true } }),
    ).toEqual(before);
  });

  it('lets a viewer key read and refuses its writes (403)', async () => {
    expect((await call(collection.GET, 'GET', {}, undefined, viewerKey)).status).toBe(200);
    const refused = await call(
      collection.POST,
      'POST',
      {},
      { name: 'Mine', members: [{ serverId: twikitId }] },
      viewerKey,
    );
    expect(refused.status).toBe(403);
    expect(await db.toolset.count({ where: { organizationId, deletedAt: null } })).toBe(0);
    const anonymous = await call(collection.GET, 'GET', {}, undefined, 'pck_not-a-real-key');
    expect(anonymous.status).toBe(401);
  });

  it('is in the OpenAPI document: both paths, every method, and the request schema', () => {
    const doc = openApiDocument('http://dashboard.test');
    const paths = doc.paths as Record<string, Record<string, any>>;
    expect(Object.keys(paths['/toolsets'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/toolsets/{toolsetId}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
      'put',
    ]);
    const post = paths['/toolsets']!.post;
    expect(post.responses).toHaveProperty('201');
    const schema = post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['name', 'members']);
    expect(schema.properties.members).toMatchObject({ type: 'array', minItems: 1 });
    expect(schema.properties.members.items.required).toEqual(['serverId']);
    expect(Object.keys(schema.properties.members.items.properties).sort()).toEqual(
      ['allTools', 'overrides', 'prefix', 'serverId', 'tools'].sort(),
    );
    const patch = paths['/toolsets/{toolsetId}']!.patch;
    expect(patch.requestBody.content['application/json'].schema.required).toBeUndefined();
    expect(patch.parameters).toEqual([
      { name: 'toolsetId', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });
});
