// Saving a policy version expires pending approvals that the new version no longer asks for.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { savePolicy } from '../src/modules/policies/policies.ts';
import { listApprovalHistory } from '../src/modules/approvals/approvals.ts';

beforeEach(resetDatabase);

describe('saving a policy version', () => {
  it('expires pending approvals the new version would deny or simply allow, with a reason approver and trail can see', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    await savePolicy(db, ctx, server.id, {
      version: '1',
      default: 'deny',
      tools: {
        '@read': { action: 'require_approval' },
        '@write': { action: 'require_approval' },
        '@destructive': { action: 'require_approval' },
      },
    });
    const grant = await db.grant.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        name: 'agent',
        tokenHash: 'x',
        tokenPrefix: 'pcg_x',
      },
    });
    const pendingFor = (toolName: string, args: Record<string, unknown>) =>
      db.approval.create({
        data: {
          organizationId: ctx.organizationId,
          grantId: grant.id,
          serverId: server.id,
          toolName,
          argumentsHash: toolName,
          arguments: args as object,
          expiresAt: new Date(Date.now() + 600_000),
        },
      });
    const read = await pendingFor('get_tweet', { tweet_id: '1' });
    const write = await pendingFor('leave_community', { community_id: 'c1' });
    const destructive = await pendingFor('delete_tweet', { tweet_id: '2' });

    await savePolicy(db, ctx, server.id, {
      version: '1',
      default: 'deny',
      tools: {
        '@read': { action: 'allow' },
        // Still needs approval, except for one community: only the call whose arguments match is affected.
        '@write': {
          action: 'require_approval',
          conditions: [{ when: { arg: 'community_id', equals: 'other' }, action: 'allow' }],
        },
        '@destructive': { action: 'deny', reason: 'No deleting.' },
      },
    });

    const rows = new Map(
      (await db.approval.findMany({ where: { serverId: server.id } })).map((a) => [a.id, a]),
    );
    expect(rows.get(write.id)).toMatchObject({ status: 'pending', arguments: { community_id: 'c1' } });
    expect(rows.get(read.id)).toMatchObject({ status: 'expired', arguments: null });
    expect(rows.get(read.id)!.note).toMatch(
      /policy version 2 no longer requires approval .* allowed without approval \(rule \/tools\/@read\)/,
    );
    expect(rows.get(destructive.id)).toMatchObject({ status: 'expired' });
    expect(rows.get(destructive.id)!.note).toMatch(
      /policy version 2 .* would now be denied \(rule \/tools\/@destructive\)/,
    );
    // The approver's history and the admin trail both say why.
    const history = await listApprovalHistory(db, ctx);
    expect(history.map((a) => a.id).sort()).toEqual([read.id, destructive.id].sort());
    expect(history.every((a) => a.note?.includes('no longer requires approval'))).toBe(true);
    const trail = await db.adminEvent.findMany({
      where: { organizationId: ctx.organizationId, action: 'approval.expired' },
    });
    expect(trail.map((e) => e.targetId).sort()).toEqual([read.id, destructive.id].sort());
  });
});
