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

  it('replay shows which past calls a new content guard would have blocked or redacted, and which it cannot check', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const grant = await db.grant.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        name: 'g',
        tokenHash: 'g'.repeat(64),
        tokenPrefix: 'pcg_g',
      },
    });
    const gh = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    const base = {
      organizationId: ctx.organizationId,
      serverId: server.id,
      grantId: grant.id,
      method: 'tools/call',
      decision: 'allow' as const,
      upstreamOutcome: 'ok',
      toolName: 'get_tweet',
    };
    const secretArgs = await db.auditEvent.create({
      data: { ...base, argumentsRedacted: false, arguments: { text: `use ${gh}` }, result: { content: [] } },
    });
    const cardResult = await db.auditEvent.create({
      data: {
        ...base,
        argumentsRedacted: false,
        arguments: { text: 'hello' },
        result: { content: [{ type: 'text', text: 'card 4111 1111 1111 1111 on file' }] },
      },
    });
    const flaggedOnly = await db.auditEvent.create({
      data: {
        ...base,
        argumentsRedacted: false,
        arguments: { text: 'hi' },
        result: { content: [{ type: 'text', text: 'write to ops@example.com' }] },
      },
    });
    // Stored redacted (the default): keys and hashes, nothing to scan.
    await db.auditEvent.create({ data: { ...base, arguments: { text: 'hmac:abc' } } });

    const draft = {
      version: '1',
      default: 'allow',
      guards: { arguments: { secrets: 'block' }, results: { payment_card: 'redact', email: 'flag' } },
    };
    const replay = await replayPolicy(db, ctx, server.id, draft);
    expect(replay.replayed).toBe(4);
    expect(replay.uncheckable).toBe(1);
    const byId = new Map(replay.changed.map((r) => [r.auditId, r]));
    expect(byId.get(secretArgs.id)).toMatchObject({
      after: { decision: 'deny', rule: 'guard:secrets' },
      guards: { blocked: { direction: 'arguments', detector: 'secrets', where: '/text' } },
    });
    expect(byId.get(cardResult.id)).toMatchObject({
      after: { decision: 'allow' },
      guards: { redacted: [{ direction: 'results', detector: 'payment_card' }] },
    });
    // Flagging changes nothing the agent sees.
    expect(byId.has(flaggedOnly.id)).toBe(false);
    // Never the matched text in what replay returns.
    expect(JSON.stringify(replay)).not.toMatch(/ghp_|4111/);
    // Without guards in the draft nothing is reported as uncheckable.
    expect((await replayPolicy(db, ctx, server.id, { version: '1', default: 'allow' })).uncheckable).toBe(0);
  });
});
