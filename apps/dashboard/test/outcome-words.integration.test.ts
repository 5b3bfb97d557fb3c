// Outcome words from the rows as stored: a consumed approval whose call failed upstream is not a
// success, and an audit row about a held call says what became of its approval.
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { countPendingApprovals, listApprovalHistory } from '../src/modules/approvals/approvals.ts';
import { listAuditEvents } from '../src/modules/audit/audit.ts';
import { approvalOutcome, callOutcome } from '../src/modules/audit/call-outcome.ts';

beforeEach(resetDatabase);

describe('outcome words', () => {
  it('approvals history says how the approved call went, and the audit log what became of a held call', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const grant = await db.grant.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        name: 'agent',
        tokenHash: 'x',
        tokenPrefix: 'pcg_x',
      },
    });
    const base = {
      organizationId: ctx.organizationId,
      grantId: grant.id,
      serverId: server.id,
      toolName: 'delete_tweet',
      expiresAt: new Date(Date.now() + 600_000),
    };
    const failed = await db.approval.create({
      data: { ...base, argumentsHash: randomBytes(4).toString('hex'), status: 'consumed' },
    });
    const ran = await db.approval.create({
      data: { ...base, argumentsHash: randomBytes(4).toString('hex'), status: 'consumed' },
    });
    const denied = await db.approval.create({
      data: {
        ...base,
        argumentsHash: randomBytes(4).toString('hex'),
        status: 'denied',
        note: 'not on a Friday',
      },
    });
    await db.approval.create({ data: { ...base, argumentsHash: randomBytes(4).toString('hex') } });
    const row = {
      organizationId: ctx.organizationId,
      grantId: grant.id,
      serverId: server.id,
      toolName: 'delete_tweet',
      method: 'tools/call',
    };
    await db.auditEvent.createMany({
      data: [
        // The hand-back row (not sent) and the run (sent, failed upstream) of the same approval.
        { ...row, decision: 'require_approval', approvalId: failed.id, upstreamOutcome: 'not_sent' },
        {
          ...row,
          decision: 'require_approval',
          approvalId: failed.id,
          upstreamOutcome: 'error',
          upstreamError: 'The upstream answered HTTP 500',
        },
        { ...row, decision: 'require_approval', approvalId: ran.id, upstreamOutcome: 'ok' },
        {
          ...row,
          decision: 'require_approval',
          approvalId: denied.id,
          upstreamOutcome: 'not_sent',
          reason: 'A person denied this call',
        },
      ],
    });

    const history = await listApprovalHistory(db, ctx);
    const words = Object.fromEntries(history.map((a) => [a.id, approvalOutcome(a)]));
    expect(words[failed.id]).toMatchObject({
      words: 'approved; failed upstream',
      tone: 'red',
      detail: 'The upstream answered HTTP 500',
    });
    expect(words[ran.id]).toMatchObject({ words: 'approved; ran', tone: 'green' });
    expect(words[denied.id]).toMatchObject({ words: 'denied', tone: 'red' });

    const { rows } = await listAuditEvents(db, ctx, {});
    const deniedRow = rows.find((r) => r.approvalId === denied.id)!;
    expect(callOutcome(deniedRow)).toMatchObject({
      words: 'refused: denied by a person',
      detail: 'note: not on a Friday',
    });
    const failedRun = rows.find((r) => r.approvalId === failed.id && r.upstreamOutcome === 'error')!;
    expect(callOutcome(failedRun)).toMatchObject({
      words: 'failed upstream',
      detail: 'The upstream answered HTTP 500',
    });
    expect(await countPendingApprovals(db, ctx)).toBe(1);
  });
});
