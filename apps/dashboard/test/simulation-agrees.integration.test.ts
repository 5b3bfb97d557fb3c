// Issue #20: simulation (the editor's "Simulate a call", replay of past calls, expiry of pending
// approvals on save) decides as the gateway enforces — pinning and catalog included — because both
// call packages/policy's decideToolCall.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { replayPolicy, savePolicy } from '../src/modules/policies/policies.ts';
import { simulateCall, type CatalogRow } from '../src/modules/policies/simulate.ts';

beforeEach(resetDatabase);

const ALLOW_ALL = { version: '1', default: 'allow' } as const;

describe('simulation and enforcement', () => {
  it('replay says a call to a tool now held by pinning would be refused, not allowed', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    await db.tool.updateMany({
      where: { serverId: server.id, name: 'get_tweet' },
      data: { pinState: 'changed' },
    });
    const grant = await db.grant.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        name: 'g',
        tokenHash: 'h'.repeat(64),
        tokenPrefix: 'pcg_x',
      },
    });
    await db.auditEvent.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        grantId: grant.id,
        toolName: 'get_tweet',
        method: 'tools/call',
        decision: 'allow',
        arguments: {},
        upstreamOutcome: 'ok',
      },
    });
    const replay = await replayPolicy(db, ctx, server.id, ALLOW_ALL);
    expect(replay.changed).toEqual([
      expect.objectContaining({ toolName: 'get_tweet', after: { decision: 'deny', rule: '(pinning)' } }),
    ]);
  });

  it('saving a policy expires a pending approval the gateway would now refuse outright (a tool the catalog lacks)', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const requireApproval = {
      version: '1',
      default: 'deny',
      tools: { delete_tweet: { action: 'require_approval' } },
    };
    await savePolicy(db, ctx, server.id, requireApproval);
    const grant = await db.grant.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        name: 'g',
        tokenHash: 'k'.repeat(64),
        tokenPrefix: 'pcg_y',
      },
    });
    // A pending approval for a tool the catalog no longer has: under the new policy the gateway refuses it outright.
    const approval = await db.approval.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        grantId: grant.id,
        toolName: 'vanished_tool',
        argumentsHash: 'a'.repeat(64),
        arguments: {},
        ruleId: '/tools/vanished_tool',
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    await savePolicy(db, ctx, server.id, {
      ...requireApproval,
      tools: { ...requireApproval.tools, vanished_tool: { action: 'require_approval' } },
    });
    const after = await db.approval.findUniqueOrThrow({ where: { id: approval.id } });
    expect(after.status).toBe('expired');
    expect(after.note).toMatch(/\(catalog\)/);
  });

  it('the editor simulation refuses what the gateway refuses: unknown and pending tools', () => {
    const catalog = new Map<string, CatalogRow>([
      [
        'get_tweet',
        { name: 'get_tweet', present: true, pinState: 'approved', approvedHash: 'h', category: 'read' },
      ],
      [
        'new_tool',
        { name: 'new_tool', present: true, pinState: 'pending', approvedHash: '', category: 'read' },
      ],
    ]);
    expect(simulateCall(ALLOW_ALL, catalog, 'get_tweet', {}).effect).toBe('allow');
    expect(simulateCall(ALLOW_ALL, catalog, 'new_tool', {})).toMatchObject({
      effect: 'deny',
      rule: '(pinning)',
    });
    expect(simulateCall(ALLOW_ALL, catalog, 'like_twet', {})).toMatchObject({
      effect: 'deny',
      rule: '(catalog)',
    });
  });
});
