// Every decision through a real gateway in front of the real Twikit stand-in (stdio), with a real
// SDK client over Streamable HTTP: allow, deny, hide, rate limit, approval, and the audit trail.
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
    get_tweet: { action: 'allow' },
    send_tweet: { action: 'deny', reason: 'Posting is not allowed for this agent' },
    delete_tweet: { action: 'hide' },
    get_user_info: { limits: [{ counter: 'user_info', window: 'minute', max: 3, scope: 'grant' }] },
    like_tweet: { action: 'require_approval', approval: { timeout: 30 } },
    retweet: { action: 'require_approval', approval: { timeout: 1 } },
    search_tweets: {
      conditions: [
        { when: { arg: 'query', regex: '(?i)secret' }, action: 'deny', reason: 'No searching for secrets' },
      ],
    },
  },
};

const TWEET = '1850000000000001';

describe('enforcement against the Twikit stand-in (stdio)', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const logFile = tempFile('twikit-calls.jsonl');
  const call = (name: string, args: Record<string, unknown> = {}) =>
    agent.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('lists only the tools the grant may call', async () => {
    const { tools } = await agent.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(['get_tweet', 'get_user_info', 'like_tweet', 'retweet', 'search_tweets']);
    // The definitions are the upstream's own.
    expect(tools.find((t) => t.name === 'get_tweet')?.inputSchema).toMatchObject({
      properties: { tweet_id: { type: ['integer', 'string'] } },
    });
  });

  it('forwards an allowed call and audits it', async () => {
    const result = await call('get_tweet', { tweet_id: TWEET });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toMatchObject({ id: TWEET });
    expect(readCallLog(logFile).map((c) => c.tool)).toContain('get_tweet');
    const rows = await waitFor(async () => {
      const r = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'get_tweet');
      return r.length === 1 && r[0]!.upstreamOutcome === 'ok' ? r : undefined;
    });
    expect(rows[0]).toMatchObject({
      decision: 'allow',
      ruleId: '/tools/get_tweet',
      policyVersion: 1,
      grantId: seeded.grantId,
      method: 'tools/call',
      argumentsRedacted: true,
    });
    expect(rows[0]!.arguments).toEqual({ tweet_id: expect.stringMatching(/^hmac:/) });
    expect(rows[0]!.latencyMs).toBeGreaterThan(0);
    expect(rows[0]!.sessionId).toBeTruthy();
  });

  it('denies with the reason and rule, and the call never reaches the upstream', async () => {
    const result = await call('send_tweet', { text: 'hello world' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'Denied by policy (/tools/send_tweet): Posting is not allowed for this agent',
    );
    expect(result._meta?.['portcullis/decision']).toMatchObject({
      effect: 'deny',
      rule: '/tools/send_tweet',
    });
    const denied = await call('search_tweets', { query: 'top SECRET plans' });
    expect(textOf(denied)).toBe(
      'Denied by policy (/tools/search_tweets/conditions/0): No searching for secrets',
    );
    const allowed = await call('search_tweets', { query: 'typescript' });
    expect(allowed.isError).toBeFalsy();
    // Not in the policy at all: the default (deny) applies.
    const byDefault = await call('get_timeline', { count: 5 });
    expect(textOf(byDefault)).toMatch(/^Denied by policy \(default\)/);
    const log = readCallLog(logFile);
    expect(log.map((c) => c.tool)).not.toContain('send_tweet');
    expect(log.map((c) => c.tool)).not.toContain('get_timeline');
    expect(log.filter((c) => c.tool === 'search_tweets').map((c) => c.arguments.query)).toEqual([
      'typescript',
    ]);
  });

  it('answers a hidden tool exactly like a tool that does not exist, and only the audit log tells them apart', async () => {
    const hidden = await call('delete_tweet', { tweet_id: TWEET });
    const missing = await call('delete_tweet_x', { tweet_id: TWEET });
    expect(hidden.isError).toBe(true);
    expect(textOf(hidden)).toBe(
      'Denied by policy (catalog): Tool delete_tweet is not available on this server',
    );
    // Same shape, same code path: only the name differs.
    expect(JSON.stringify(missing).replaceAll('delete_tweet_x', 'delete_tweet')).toBe(JSON.stringify(hidden));
    expect(hidden._meta?.['portcullis/decision']).toEqual({
      effect: 'deny',
      rule: '(catalog)',
      reason: 'Tool delete_tweet is not available on this server',
      policyVersion: 1,
    });
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('delete_tweet');
    const rows = (await auditRows(seeded.serverId)).filter((a) => a.toolName?.startsWith('delete_tweet'));
    expect(rows).toMatchObject([
      {
        toolName: 'delete_tweet',
        decision: 'hide',
        ruleId: '/tools/delete_tweet',
        reason: 'Tool delete_tweet is not available on this server',
        upstreamOutcome: 'not_sent',
      },
      {
        toolName: 'delete_tweet_x',
        decision: 'deny',
        ruleId: '(catalog)',
        reason: 'Tool delete_tweet_x is not available on this server',
        upstreamOutcome: 'not_sent',
      },
    ]);
  });

  it('allows exactly max calls, then rate limits with the seconds until retry', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await call('get_user_info', { screen_name: 'alice' }));
    expect(results.map((r) => Boolean(r.isError))).toEqual([false, false, false, true, true]);
    const limited = results[3]!;
    expect(textOf(limited)).toMatch(
      /^Rate limited by \/tools\/get_user_info\/limits\/0: at most \d+ calls? per [a-z0-9 ]+ \(per \w+\)\. Retry in \d+ s\.$/,
    );
    const meta = limited._meta?.['portcullis/decision'] as { retryAfterSeconds: number; effect: string };
    expect(meta.effect).toBe('rate_limited');
    expect(meta.retryAfterSeconds).toBeGreaterThan(0);
    expect(meta.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(readCallLog(logFile).filter((c) => c.tool === 'get_user_info')).toHaveLength(3);
    const rows = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'get_user_info');
    expect(rows.map((r) => r.decision).sort()).toEqual([
      'allow',
      'allow',
      'allow',
      'rate_limited',
      'rate_limited',
    ]);
  });

  it('holds a call for approval, sends progress, and resumes it when approved', async () => {
    const db = testDb();
    const progress: number[] = [];
    const pending = agent.callTool({ name: 'like_tweet', arguments: { tweet_id: TWEET } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      timeout: 60_000,
    }) as Promise<CallToolResult>;
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { grantId: seeded.grantId, toolName: 'like_tweet', status: 'pending' } })
        .then((a) => a ?? undefined),
    );
    // The approver sees the real arguments (the audit log keeps them redacted).
    expect(approval.arguments).toEqual({ tweet_id: TWEET });
    await waitFor(() => progress.length >= 1 || undefined);
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('like_tweet');
    // The dashboard decides: update the row, then notify.
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'approved', decidedAt: new Date(), decidedByLabel: 'test' },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    const result = await pending;
    expect(result.isError).toBeFalsy();
    expect(readCallLog(logFile).filter((c) => c.tool === 'like_tweet')).toHaveLength(1);
    expect(await db.approval.findUnique({ where: { id: approval.id } })).toMatchObject({
      status: 'consumed',
    });
    const rows = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'like_tweet');
    expect(rows).toMatchObject([{ decision: 'require_approval', approvalId: approval.id }]);
  });

  it('never applies an approval to other arguments, and a denial refuses the call', async () => {
    const db = testDb();
    const other = '1850000000000002';
    const pending = call('like_tweet', { tweet_id: other });
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { grantId: seeded.grantId, toolName: 'like_tweet', status: 'pending' } })
        .then((a) => a ?? undefined),
    );
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'denied', decidedAt: new Date() },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    const result = await pending;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('Denied by policy (/tools/like_tweet): A person denied this call');
    expect(
      readCallLog(logFile)
        .filter((c) => c.tool === 'like_tweet')
        .map((c) => c.arguments.tweet_id),
    ).toEqual([TWEET]);
    // The consumed approval for the first tweet does not let that call run again either.
    const again = call('like_tweet', { tweet_id: TWEET });
    const fresh = await waitFor(() =>
      db.approval
        .findFirst({ where: { grantId: seeded.grantId, toolName: 'like_tweet', status: 'pending' } })
        .then((a) => a ?? undefined),
    );
    expect(fresh.id).not.toBe(approval.id);
    await db.approval.update({ where: { id: fresh.id }, data: { status: 'denied' } });
    await notifyChange(db, { type: 'approval', organizationId: seeded.organizationId, approvalId: fresh.id });
    expect((await again).isError).toBe(true);
  });

  it('expires an approval nobody decided in time', async () => {
    const result = await call('retweet', { tweet_id: TWEET });
    expect(textOf(result)).toBe('Denied by policy (/tools/retweet): No one approved this call in time');
    expect(
      await testDb().approval.findFirst({ where: { grantId: seeded.grantId, toolName: 'retweet' } }),
    ).toMatchObject({ status: 'expired' });
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('retweet');
  });

  it('applies a policy edit to the next call without reconnecting', async () => {
    const { setPolicy } = await import('./harness.ts');
    await setPolicy(seeded.organizationId, seeded.serverId, {
      ...POLICY,
      tools: { ...POLICY.tools, get_tweet: { action: 'deny', reason: 'Paused' } },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const result = await call('get_tweet', { tweet_id: TWEET });
    expect(textOf(result)).toBe('Denied by policy (/tools/get_tweet): Paused');
    const row = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'get_tweet').at(-1);
    expect(row).toMatchObject({ decision: 'deny', policyVersion: 2 });
    await setPolicy(seeded.organizationId, seeded.serverId, POLICY);
  });

  it('writes exactly one audit event per tools/call', async () => {
    const rows = await waitFor(async () => {
      const all = await auditRows(seeded.serverId);
      return all.every((r) => r.upstreamOutcome !== 'pending') ? all : undefined;
    });
    // get_tweet 1 + send 1 + search 2 + timeline 1 + delete 1 + delete_tweet_x 1 + user_info 5 + like 3 + retweet 1 + get_tweet 1
    expect(rows).toHaveLength(17);
    expect(rows.every((r) => r.method === 'tools/call' && r.upstreamOutcome !== 'pending')).toBe(true);
    const forwarded = rows.filter((r) => r.upstreamOutcome === 'ok' || r.upstreamOutcome === 'tool_error');
    expect(forwarded).toHaveLength(readCallLog(logFile).length);
  });
});
