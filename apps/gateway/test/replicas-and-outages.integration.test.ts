// Two gateway processes' worth of state on one PostgreSQL and Redis: one shared limit, one
// approval decided while the call waits on the other replica; and failing closed when a store is
// unreachable; and a graceful shutdown that lets an in-flight call finish.
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
    get_user_info: { limits: [{ window: 'minute', max: 5, scope: 'server' }] },
    like_tweet: { action: 'require_approval', approval: { timeout: 60 } },
    get_tweet: { action: 'allow' },
  },
};

describe('two replicas', () => {
  let a: Gateway;
  let b: Gateway;
  let seeded: Seeded;
  const logFile = tempFile('twikit-calls.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    [a, b] = await Promise.all([startGateway(), startGateway()]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('enforce one shared limit exactly', async () => {
    const agents = await Promise.all([
      connectAgent(a, seeded),
      connectAgent(b, seeded),
      connectAgent(a, seeded),
      connectAgent(b, seeded),
    ]);
    const results = await Promise.all(
      Array.from(
        { length: 24 },
        (_, i) =>
          agents[i % agents.length]!.callTool({
            name: 'get_user_info',
            arguments: { screen_name: 'bob' },
          }) as Promise<CallToolResult>,
      ),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(5);
    expect(
      results
        .filter((r) => r.isError)
        .every((r) => textOf(r).startsWith('Rate limited by /tools/get_user_info/limits/0')),
    ).toBe(true);
    expect(readCallLog(logFile).filter((c) => c.tool === 'get_user_info')).toHaveLength(5);
    await Promise.all(agents.map((x) => x.close()));
  });

  it('resume a call held on one replica when the approval is decided', async () => {
    const agent = await connectAgent(b, seeded);
    const pending = agent.callTool({
      name: 'like_tweet',
      arguments: { tweet_id: '1850000000000003' },
    }) as Promise<CallToolResult>;
    const db = testDb();
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { serverId: seeded.serverId, status: 'pending' } })
        .then((x) => x ?? undefined),
    );
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'approved', decidedAt: new Date() },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    const result = await pending;
    // Forwarded (the upstream's own answer, whatever it says), not refused by the gateway.
    expect(textOf(result)).not.toMatch(/^(Denied|Rate limited)/);
    expect(readCallLog(logFile).filter((c) => c.tool === 'like_tweet')).toHaveLength(1);
    await agent.close();
  });
});

describe('two replicas with counters in PostgreSQL (as npm start runs them)', () => {
  let a: Gateway;
  let b: Gateway;
  let seeded: Seeded;
  const logFile = tempFile('twikit-calls.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), {
      version: '1',
      default: 'deny',
      tools: { get_user_info: { limits: [{ window: 'minute', max: 30, scope: 'server' }] } },
    });
    [a, b] = await Promise.all([
      startGateway({ redisUrl: undefined }),
      startGateway({ redisUrl: undefined }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('let exactly max of 200 concurrent calls through, each reservation committed with its audit row', async () => {
    const agents = await Promise.all([
      connectAgent(a, seeded),
      connectAgent(b, seeded),
      connectAgent(a, seeded),
      connectAgent(b, seeded),
    ]);
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          agents[i % agents.length]!.callTool({
            name: 'get_user_info',
            arguments: { screen_name: 'bob' },
          }) as Promise<CallToolResult>,
      ),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(30);
    expect(
      results
        .filter((r) => r.isError)
        .every((r) => textOf(r).startsWith('Rate limited by /tools/get_user_info/limits/0')),
    ).toBe(true);
    expect(readCallLog(logFile).filter((c) => c.tool === 'get_user_info')).toHaveLength(30);
    const rows = await auditRows(seeded.serverId);
    expect(rows.filter((r) => r.decision === 'allow')).toHaveLength(30);
    expect(rows.filter((r) => r.decision === 'rate_limited')).toHaveLength(170);
    // The counter row agrees with the hits it counts.
    const [counter] = await testDb().$queryRaw<Array<{ hits: number; rows: number }>>`
      SELECT c.hits, (SELECT count(*)::int FROM rate_limit_hits h WHERE h.key = c.key) AS rows
      FROM rate_limit_counters c WHERE c.key LIKE ${`${seeded.organizationId}:%`}`;
    expect(counter).toEqual({ hits: 30, rows: 30 });
    await Promise.all(agents.map((x) => x.close()));
  });
});

describe('failing closed and shutting down', () => {
  let seeded: Seeded;
  const logFile = tempFile('twikit-calls.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
  });

  it('refuses rate-limited calls when the counter store is unreachable, and audits them', async () => {
    const gateway = await startGateway({ redisUrl: 'redis://127.0.0.1:1' });
    try {
      const agent = await connectAgent(gateway, seeded);
      const result = (await agent.callTool({
        name: 'get_user_info',
        arguments: { screen_name: 'carol' },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/cannot reach its policy or counter store/);
      expect(readCallLog(logFile)).toHaveLength(0);
      const rows = await auditRows(seeded.serverId);
      expect(rows.at(-1)).toMatchObject({
        toolName: 'get_user_info',
        decision: 'deny',
        upstreamOutcome: 'not_sent',
      });
      await agent.close();
    } finally {
      await gateway.close();
    }
  });

  it('refuses every request when the policy store is unreachable', async () => {
    const gateway = await startGateway({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      const res = await fetch(`${gateway.url}/mcp/${seeded.serverId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${seeded.token}`,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        }),
      });
      expect(res.status).toBe(503);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('drains an in-flight call on shutdown and completes its audit record', async () => {
    const gateway = await startGateway();
    const agent = await connectAgent(gateway, seeded);
    const db = testDb();
    const pending = agent.callTool({
      name: 'like_tweet',
      arguments: { tweet_id: '1850000000000004' },
    }) as Promise<CallToolResult>;
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { serverId: seeded.serverId, status: 'pending' } })
        .then((x) => x ?? undefined),
    );
    const closing = gateway.close(10_000);
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'approved', decidedAt: new Date() },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    expect((await pending).isError).toBeFalsy();
    await closing;
    const row = (await auditRows(seeded.serverId)).find((r) => r.approvalId === approval.id);
    expect(row).toMatchObject({ decision: 'require_approval', upstreamOutcome: 'ok' });
    await agent.close().catch(() => undefined);
  });
});
