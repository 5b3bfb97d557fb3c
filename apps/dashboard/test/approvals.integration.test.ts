// Approval arguments: shown only to roles that may decide, and kept only while the approval is pending.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { decideApproval } from '../src/modules/approvals/approvals.ts';
import { GET as listApprovalsRoute } from '../src/app/api/v1/approvals/route.ts';

beforeEach(resetDatabase);

const SECRET = { tweet_id: '1850000000000001', dm_text: 'the launch code is 0000' };

async function seedApprovals() {
  const owner = await newOwner();
  const server = await seedServer(owner.ctx.organizationId);
  const grant = await db.grant.create({
    data: {
      organizationId: owner.ctx.organizationId,
      serverId: server.id,
      name: 'agent',
      tokenHash: 'x',
      tokenPrefix: 'pcg_x',
    },
  });
  const base = {
    organizationId: owner.ctx.organizationId,
    grantId: grant.id,
    serverId: server.id,
    toolName: 'delete_tweet',
    argumentsHash: 'h',
    arguments: SECRET,
  };
  const later = new Date(Date.now() + 600_000);
  const pending = await db.approval.create({ data: { ...base, expiresAt: later } });
  const toDecide = await db.approval.create({ data: { ...base, argumentsHash: 'h2', expiresAt: later } });
  const stale = await db.approval.create({
    data: { ...base, argumentsHash: 'h3', expiresAt: new Date(Date.now() - 1_000) },
  });
  return { owner, pending, toDecide, stale };
}

async function listAs(token: string, query = '') {
  const res = await listApprovalsRoute(
    new Request(`http://dashboard.test/api/v1/approvals${query}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
    {
      params: Promise.resolve({}),
    },
  );
  expect(res.status).toBe(200);
  return (await res.json()).approvals as Array<{ id: string; status: string; arguments: unknown }>;
}

describe('approval arguments', () => {
  it('are never shown to viewers, through the API or otherwise', async () => {
    const { owner, pending } = await seedApprovals();
    const viewerKey = await createApiKey(db, owner.ctx, { name: 'read-only', role: 'viewer' });
    const editorKey = await createApiKey(db, owner.ctx, { name: 'ops', role: 'editor' });
    const asViewer = await listAs(viewerKey.token, '?status=pending');
    expect(asViewer.map((a) => a.id)).toContain(pending.id);
    expect(JSON.stringify(asViewer)).not.toContain('launch code');
    expect(asViewer.every((a) => a.arguments === null)).toBe(true);
    // The people who decide see exactly what they approve.
    const asEditor = await listAs(editorKey.token, '?status=pending');
    expect(asEditor.find((a) => a.id === pending.id)?.arguments).toEqual(SECRET);
  });

  it('are cleared when the approval is decided, expires, or is consumed, whoever writes the status', async () => {
    const { owner, pending, toDecide, stale } = await seedApprovals();
    const decided = await decideApproval(db, owner.ctx, toDecide.id, 'deny', 'no');
    expect(decided.arguments).toBeNull();
    // The gateway's own writes (expiry on timeout, consumption after approval) go straight to the table.
    await db.approval.update({ where: { id: pending.id }, data: { status: 'expired', note: 'timed out' } });
    const ownerKey = await createApiKey(db, owner.ctx, { name: 'all', role: 'owner' });
    const all = await listAs(ownerKey.token);
    expect(all.find((a) => a.id === stale.id)?.status).toBe('expired');
    const rows = await db.approval.findMany({ where: { organizationId: owner.ctx.organizationId } });
    expect(rows.map((r) => r.status).sort()).toEqual(['denied', 'expired', 'expired']);
    expect(rows.every((r) => r.arguments === null)).toBe(true);
  });
});
