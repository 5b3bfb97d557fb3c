// Issue #8, "replicas": two gateway processes on one PostgreSQL (and one Redis), 200 concurrent
// calls against a `max: 30` rule → exactly 30 allowed, with counters in Redis and in PostgreSQL;
// and an approval decided in the dashboard (its REST API) while the call waits on the other
// replica resumes that call.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { afterAll, describe, expect, it } from 'vitest';
import {
  databaseUrl,
  readCallLog,
  seed,
  tempFile,
  testDb,
  twikitServer,
} from '../../apps/gateway/test/harness.ts';
import { connect, textOf } from './support/agents.ts';
import { type GatewayProcess, startGatewayProcess, until } from './support/processes.ts';
import { envInt, writeResult } from './support/results.ts';

const CALLS = envInt('RELIABILITY_REPLICA_CALLS', 200);
const MAX = 30;
const figures: Record<string, unknown> = {};
const gateways: GatewayProcess[] = [];

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.kill()));
  writeResult('replicas', figures);
});

async function twoReplicas(counters: 'redis' | 'postgres'): Promise<[GatewayProcess, GatewayProcess]> {
  const start = () =>
    startGatewayProcess({
      databaseUrl: databaseUrl(),
      ...(counters === 'redis' ? { redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : {}),
      logName: `replicas-${counters}`,
      env: { GATEWAY_MAX_SESSIONS_PER_GRANT: '100' },
    });
  const pair = [await start(), await start()] as [GatewayProcess, GatewayProcess];
  gateways.push(...pair);
  await Promise.all(pair.map((g) => g.ready()));
  return pair;
}

describe.each(['redis', 'postgres'] as const)('two replicas, counters in %s', (counters) => {
  it(`allow exactly ${MAX} of ${CALLS} concurrent calls on a max: ${MAX} rule`, async () => {
    const logFile = tempFile('twikit-calls.jsonl');
    const seeded = await seed(twikitServer(logFile), {
      version: '1',
      default: 'deny',
      tools: { get_user_info: { action: 'allow', limits: [{ window: 'hour', max: MAX, scope: 'grant' }] } },
    });
    const [a, b] = await twoReplicas(counters);
    // Ten agents, half on each replica, twenty calls each, all in flight together.
    const agents: Client[] = await Promise.all(
      Array.from({ length: 10 }, (_, i) => connect(i % 2 ? b.url : a.url, seeded.serverId, seeded.token)),
    );
    const perAgent = Math.ceil(CALLS / agents.length);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: perAgent * agents.length }, (_, i) =>
        (
          agents[i % agents.length]!.callTool({
            name: 'get_user_info',
            arguments: { screen_name: `user${i}` },
          }) as Promise<CallToolResult>
        ).then(
          (r) =>
            r.isError && textOf(r).startsWith('Rate limited')
              ? 'rate_limited'
              : r.isError && textOf(r).startsWith('Denied')
                ? 'denied'
                : 'forwarded',
          (e: unknown) => `error: ${String(e).slice(0, 80)}`,
        ),
      ),
    );
    const ms = performance.now() - started;
    await Promise.all(agents.map((c) => c.close()));
    const tally: Record<string, number> = {};
    for (const r of results) tally[r] = (tally[r] ?? 0) + 1;
    const logged = readCallLog(logFile).filter((c) => c.tool === 'get_user_info').length;
    const audited = await testDb().auditEvent.groupBy({
      by: ['decision'],
      where: { serverId: seeded.serverId, toolName: 'get_user_info' },
      _count: true,
    });
    const auditTally = Object.fromEntries(audited.map((r) => [r.decision, r._count]));
    figures[counters] = {
      calls: results.length,
      replicas: 2,
      agents: agents.length,
      outcomes: tally,
      upstreamCallLog: logged,
      audit: auditTally,
      ms: Math.round(ms),
    };
    expect(tally).toEqual({ forwarded: MAX, rate_limited: results.length - MAX });
    expect(logged).toBe(MAX);
    expect(auditTally).toEqual({ allow: MAX, rate_limited: results.length - MAX });
    await Promise.all([a.kill(), b.kill()]);
  }, 180_000);
});

describe('approval across replicas', () => {
  it('resumes a call held on one replica when the approval is decided through the dashboard', async () => {
    const dashboard = process.env.RELIABILITY_DASHBOARD_URL!;
    const logFile = tempFile('twikit-calls.jsonl');
    const seeded = await seed(twikitServer(logFile), {
      version: '1',
      default: 'deny',
      tools: { like_tweet: { action: 'require_approval', approval: { timeout: 120 } } },
    });
    const key = issueToken('apiKey');
    // A key acts with at most its creator's current role: the creator is an editor of the organization.
    const creator = await testDb().user.create({
      data: { email: `approver-${key.prefix}@example.test`, name: 'Approver' },
    });
    await testDb().membership.create({
      data: { organizationId: seeded.organizationId, userId: creator.id, role: 'editor' },
    });
    await testDb().apiKey.create({
      data: {
        organizationId: seeded.organizationId,
        name: 'reliability',
        prefix: key.prefix,
        keyHash: key.hash,
        role: 'editor',
        createdById: creator.id,
      },
    });
    const [a, b] = await twoReplicas('redis');
    const agent = await connect(b.url, seeded.serverId, seeded.token);
    const held = agent.callTool(
      { name: 'like_tweet', arguments: { tweet_id: '1850000000000001' } },
      undefined,
      { timeout: 120_000 },
    ) as Promise<CallToolResult>;
    const approval = await until(
      () =>
        testDb()
          .approval.findFirst({ where: { serverId: seeded.serverId, status: 'pending' } })
          .then((x) => x ?? undefined),
      30_000,
      'a pending approval',
    );
    // The replica the agent is not on, and the dashboard, are the ones that hear of the approval first.
    await a.ready();
    const decidedAt = performance.now();
    const res = await fetch(`${dashboard}/api/v1/approvals/${approval.id}/decide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', note: 'reliability suite' }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const result = await held;
    const resumeMs = performance.now() - decidedAt;
    await agent.close();
    const row = await until(
      () =>
        testDb()
          .auditEvent.findFirst({ where: { approvalId: approval.id, upstreamOutcome: { not: 'pending' } } })
          .then((x) => x ?? undefined),
      10_000,
      'the audit row of the approved call',
    );
    figures.approval = {
      heldOn: 'replica B',
      decidedVia: 'dashboard REST API',
      resumeMs: Math.round(resumeMs),
      forwarded: !result.isError || !/^Denied/.test(textOf(result)),
      audit: { decision: row.decision, upstreamOutcome: row.upstreamOutcome },
    };
    expect(textOf(result)).not.toMatch(/^(Denied|Rate limited)/);
    expect(readCallLog(logFile).filter((c) => c.tool === 'like_tweet')).toHaveLength(1);
    expect(row).toMatchObject({
      decision: 'require_approval',
      upstreamOutcome: expect.stringMatching(/^(ok|tool_error)$/),
    });
    expect(resumeMs).toBeLessThan(2_000);
  }, 120_000);
});
