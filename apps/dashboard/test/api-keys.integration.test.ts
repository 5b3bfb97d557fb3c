// API keys act with at most their creator's current rights, checked on every request.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, addMember, seedServer } from './helpers.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { changeMemberRole, removeMember } from '../src/modules/orgs/members.ts';
import { GET as listGrants, POST as createGrantRoute } from '../src/app/api/v1/grants/route.ts';

beforeEach(resetDatabase);

const noParams = { params: Promise.resolve({}) };
const get = (token: string) =>
  listGrants(
    new Request('http://dashboard.test/api/v1/grants', { headers: { authorization: `Bearer ${token}` } }),
    noParams,
  );
const post = (token: string, serverId: string) =>
  createGrantRoute(
    new Request('http://dashboard.test/api/v1/grants', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'via key', serverId }),
    }),
    noParams,
  );

describe('API keys and their creator', () => {
  it('stops working (401, with the reason) once its creator is removed from the organization', async () => {
    const owner = await newOwner();
    const admin = await addMember(owner.ctx.organizationId, owner.orgSlug, 'admin');
    const key = await createApiKey(db, admin.ctx, { name: 'ci', role: 'editor' });
    expect((await get(key.token)).status).toBe(200);
    const membership = await db.membership.findFirstOrThrow({ where: { userId: admin.user.id } });
    await removeMember(db, owner.ctx, membership.id);
    const res = await get(key.token);
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/created it is not a member .* create a new key/);
  });

  it("is capped by its creator's current role after a demotion", async () => {
    const owner = await newOwner();
    const server = await seedServer(owner.ctx.organizationId);
    const admin = await addMember(owner.ctx.organizationId, owner.orgSlug, 'admin');
    const key = await createApiKey(db, admin.ctx, { name: 'ci', role: 'editor' });
    expect((await post(key.token, server.id)).status).toBe(201);
    const membership = await db.membership.findFirstOrThrow({ where: { userId: admin.user.id } });
    await changeMemberRole(db, owner.ctx, membership.id, 'viewer');
    const res = await post(key.token, server.id);
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toMatch(/acts as viewer/);
    expect(await db.grant.count({ where: { organizationId: owner.ctx.organizationId } })).toBe(1);
    // Reading still works: a viewer may read.
    expect((await get(key.token)).status).toBe(200);
  });
});
