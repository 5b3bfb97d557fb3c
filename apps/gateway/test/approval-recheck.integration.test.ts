// A call held for approval runs only if, once approved, the grant and the policy as they are then
// still let it: a policy changed to deny it, or a grant revoked meanwhile, refuses it.
// Real gateway, Twikit stand-in over stdio, real SDK client; decisions written as the dashboard does.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { notifyChange } from '@portcullis/db/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  readCallLog,
  seed,
  setPolicy,
  startGateway,
  tempFile,
  testDb,
  textOf,
  twikitServer,
  waitFor,
  type Seeded,
} from './harness.ts';

const TWEET = '1850000000000001';
const HELD = {
  version: '1',
  default: 'deny',
  tools: { like_tweet: { action: 'require_approval', approval: { timeout: 30 } } },
};

describe('approval, then the current policy and grant', () => {
  let gateway: Gateway;
  const agents: Client[] = [];

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await gateway?.close();
  });

  async function holdThenApprove(seeded: Seeded, meanwhile: () => Promise<void>): Promise<CallToolResult> {
    const db = testDb();
    const agent = await connectAgent(gateway, seeded);
    agents.push(agent);
    const pending = agent.callTool({ name: 'like_tweet', arguments: { tweet_id: TWEET } }, undefined, {
      timeout: 60_000,
    }) as Promise<CallToolResult>;
    pending.catch(() => undefined); // handled by the caller, after the decision below
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { grantId: seeded.grantId, status: 'pending' } })
        .then((a) => a ?? undefined),
    );
    await meanwhile();
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'approved', decidedAt: new Date(), decidedByLabel: 'test' },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    return pending;
  }

  it('refuses an approved call whose tool the policy denies by now', async () => {
    const logFile = tempFile('recheck-policy.jsonl');
    const seeded = await seed(twikitServer(logFile), HELD);
    const result = await holdThenApprove(seeded, () =>
      setPolicy(seeded.organizationId, seeded.serverId, {
        version: '1',
        default: 'deny',
        tools: { like_tweet: { action: 'deny', reason: 'No more likes' } },
      }),
    );
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'Denied by policy (/tools/like_tweet): The policy changed while this call waited for approval: No more likes',
    );
    expect(readCallLog(logFile)).toEqual([]);
    const rows = await auditRows(seeded.serverId);
    expect(rows).toMatchObject([
      { decision: 'require_approval', policyVersion: 2, upstreamOutcome: 'not_sent' },
    ]);
  });

  it('refuses an approved call whose grant expired meanwhile (no event announces an expiry)', async () => {
    const logFile = tempFile('recheck-grant.jsonl');
    const seeded = await seed(twikitServer(logFile), HELD);
    const result = await holdThenApprove(seeded, async () => {
      await testDb().grant.update({ where: { id: seeded.grantId }, data: { expiresAt: new Date() } });
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'Denied by policy (grant): The grant expired while this call waited for approval',
    );
    expect(readCallLog(logFile)).toEqual([]);
  });

  it('never runs an approved call whose grant was revoked meanwhile (its session is closed, too)', async () => {
    const logFile = tempFile('recheck-revoked.jsonl');
    const seeded = await seed(twikitServer(logFile), HELD);
    const outcome = await holdThenApprove(seeded, async () => {
      await testDb().grant.update({ where: { id: seeded.grantId }, data: { revokedAt: new Date() } });
      await notifyChange(testDb(), {
        type: 'grant',
        organizationId: seeded.organizationId,
        grantId: seeded.grantId,
      });
    }).then(
      (result) => textOf(result),
      (error: Error) => error.message,
    );
    expect(outcome).toBe(
      'MCP error -32000: The session was closed before this request was answered (the grant may have been revoked)',
    );
    // Long enough for an approval poll and a forward, had the call gone on.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(readCallLog(logFile)).toEqual([]);
  });

  it('still runs an approved call the current policy allows', async () => {
    const logFile = tempFile('recheck-allowed.jsonl');
    const seeded = await seed(twikitServer(logFile), HELD);
    const result = await holdThenApprove(seeded, async () => undefined);
    expect(result.isError).toBeFalsy();
    expect(readCallLog(logFile).map((c) => c.tool)).toEqual(['like_tweet']);
  });
});
