// Approvals that outlive the agent's timeout: the gateway holds a call only GATEWAY_APPROVAL_HOLD_MS
// (progress flowing), then hands it back with the approval's id; the identical call runs once after
// approval, a third identical call needs a new approval, and the approver's note reaches the agent.
// An approved call that is rate-limited keeps its approval (issue #20 item 2: reserve, then consume).
// Real gateway, Twikit stand-in over stdio, SDK client; decisions written as the dashboard writes them.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { hashCanonical } from '@portcullis/crypto/canonical-json';
import { notifyChange } from '@portcullis/db/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  readCallLog,
  seed,
  startGateway,
  tempFile,
  testDb,
  textOf,
  twikitServer,
  waitFor,
  type Seeded,
} from './harness.ts';

const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    like_tweet: { action: 'require_approval', approval: { timeout: 120 } },
    retweet: {
      action: 'require_approval',
      approval: { timeout: 120 },
      limits: [{ counter: 'retweets', window: 'second', max: 1, scope: 'grant' }],
    },
  },
};
const HOLD_MS = 1_500;

describe('approval hold, hand-back and one identical retry', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const logFile = tempFile('twikit-hand-back.jsonl');
  const db = testDb();
  const call = (
    name: string,
    args: Record<string, unknown>,
    onprogress?: (p: { progress: number }) => void,
  ) =>
    agent.callTool(
      { name, arguments: args },
      undefined,
      onprogress ? { onprogress } : undefined,
    ) as Promise<CallToolResult>;
  const ran = (tool: string) => readCallLog(logFile).filter((c) => c.tool === tool);
  const decisionOf = (result: CallToolResult) =>
    result._meta?.['portcullis/decision'] as { effect: string; approvalId?: string } | undefined;

  async function decide(approvalId: string, status: 'approved' | 'denied', note: string | null) {
    await db.approval.update({
      where: { id: approvalId },
      data: {
        status,
        note,
        decidedAt: new Date(),
        decidedByLabel: 'test',
        expiresAt: new Date(Date.now() + 15 * 60_000),
      },
    });
    await notifyChange(db, { type: 'approval', organizationId: seeded.organizationId, approvalId });
  }

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    gateway = await startGateway({ approvalHoldMs: HOLD_MS });
    agent = await connectAgent(gateway, seeded);
    await agent.listTools();
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('hands back a held call, runs the identical retry once with the note, and holds a third identical call again', async () => {
    const args = { tweet_id: '1850000000000001' };
    const progress: number[] = [];
    const started = Date.now();
    const first = await call('like_tweet', args, (p) => progress.push(p.progress));
    // Held about as long as configured, with progress meanwhile, then handed back as an isError result.
    expect(Date.now() - started).toBeGreaterThanOrEqual(HOLD_MS - 100);
    expect(Date.now() - started).toBeLessThan(HOLD_MS + 3_000);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(first.isError).toBe(true);
    const approvalId = decisionOf(first)?.approvalId;
    expect(decisionOf(first)?.effect).toBe('require_approval');
    expect(approvalId).toBeTruthy();
    expect(textOf(first)).toContain(`approval ${approvalId}`);
    expect(textOf(first)).toMatch(/A person has been asked/);
    expect(textOf(first)).toMatch(
      /Call like_tweet again with exactly the same arguments once it is approved/,
    );
    // The approval waits for its person; nothing ran.
    expect(await db.approval.findUniqueOrThrow({ where: { id: approvalId! } })).toMatchObject({
      status: 'pending',
    });
    expect(ran('like_tweet')).toHaveLength(0);

    await decide(approvalId!, 'approved', 'fine, just this once');
    // The same arguments in another key order are the same call (canonical JSON).
    const second = await call('like_tweet', { ...args });
    expect(second.isError).toBeFalsy();
    expect(ran('like_tweet')).toHaveLength(1);
    expect(second.content?.map((c) => (c.type === 'text' ? c.text : '')).join('\n')).toContain(
      'Note from the person who approved this call: fine, just this once',
    );
    expect(second._meta?.['portcullis/approval']).toEqual({ approvalId, note: 'fine, just this once' });
    expect(await db.approval.findUniqueOrThrow({ where: { id: approvalId! } })).toMatchObject({
      status: 'consumed',
    });

    // Used up: the third identical call is held again under a new approval.
    const third = await call('like_tweet', args);
    expect(third.isError).toBe(true);
    expect(decisionOf(third)?.effect).toBe('require_approval');
    expect(decisionOf(third)?.approvalId).not.toBe(approvalId);
    expect(ran('like_tweet')).toHaveLength(1);

    const rows = (await auditRows(seeded.serverId)).filter((r) => r.approvalId === approvalId);
    expect(rows.map((r) => [r.decision, r.upstreamOutcome])).toEqual([
      ['require_approval', 'not_sent'],
      ['require_approval', expect.stringMatching(/^(pending|ok)$/)],
    ]);
    expect(rows[0]!.reason).toBe('Waiting for approval: a person has been asked');
  });

  it('tells the agent a denial with the note, while held and on the identical retry, and runs nothing', async () => {
    const args = { tweet_id: '1850000000000002' };
    const held = call('like_tweet', args);
    const approval = await waitFor(() =>
      db.approval
        .findFirst({
          where: { grantId: seeded.grantId, status: 'pending', argumentsHash: hashCanonical(args) },
        })
        .then((a) => a ?? undefined),
    );
    await decide(approval.id, 'denied', 'not this account');
    const result = await held;
    expect(textOf(result)).toBe(
      'Denied by policy (/tools/like_tweet): A person denied this call: not this account',
    );
    const retry = await call('like_tweet', args);
    expect(textOf(retry)).toBe(
      'Denied by policy (/tools/like_tweet): A person denied this call: not this account',
    );
    expect(ran('like_tweet').filter((c) => c.arguments.tweet_id === args.tweet_id)).toHaveLength(0);
  });

  it('keeps the approval of an approved call that is rate-limited, and uses it once the limit allows', async () => {
    const x = { tweet_id: '1850000000000001' };
    const y = { tweet_id: '1850000000000002' };
    const approve = (args: Record<string, unknown>) =>
      db.approval.create({
        data: {
          organizationId: seeded.organizationId,
          grantId: seeded.grantId,
          serverId: seeded.serverId,
          toolName: 'retweet',
          argumentsHash: hashCanonical(args),
          status: 'approved',
          decidedAt: new Date(),
          decidedByLabel: 'test',
          expiresAt: new Date(Date.now() + 600_000),
        },
      });
    const [ax, ay] = [await approve(x), await approve(y)];
    const first = await call('retweet', x);
    expect(first.isError, textOf(first)).toBeFalsy();
    const limited = await call('retweet', y);
    expect(decisionOf(limited)?.effect).toBe('rate_limited');
    // Not consumed by a call that did not go ahead.
    expect(await db.approval.findUniqueOrThrow({ where: { id: ay.id } })).toMatchObject({
      status: 'approved',
    });
    expect(await db.approval.findUniqueOrThrow({ where: { id: ax.id } })).toMatchObject({
      status: 'consumed',
    });
    await new Promise((r) => setTimeout(r, 1_100));
    const later = await call('retweet', y);
    expect(later.isError).toBeFalsy();
    expect(await db.approval.findUniqueOrThrow({ where: { id: ay.id } })).toMatchObject({
      status: 'consumed',
    });
    expect(ran('retweet').map((c) => c.arguments.tweet_id)).toEqual([x.tweet_id, y.tweet_id]);
  });
});
