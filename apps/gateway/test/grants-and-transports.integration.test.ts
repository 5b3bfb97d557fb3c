// The HTTP edge: grant tokens (header and URL), 401/404/403/413/429, Streamable HTTP sessions
// (including one that moves to another replica), the legacy SSE transport, operations endpoints.
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { notifyChange } from '@portcullis/db/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  addGrant,
  auditRows,
  connectAgent,
  readCallLog,
  seed,
  startGateway,
  tempFile,
  testDb,
  textOf,
  twikitServer,
  type Seeded,
} from './harness.ts';

const POLICY = { version: '1', default: 'deny', tools: { get_tweet: { action: 'allow' } } };
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function waitForPending(serverId: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await testDb().approval.count({ where: { serverId, status: 'pending' } })) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} approvals became pending`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('grants and transports', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let other: Seeded;
  const logFile = tempFile('twikit-calls.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    other = await seed(twikitServer(tempFile('other.jsonl')), POLICY);
    gateway = await startGateway({ maxSessionsPerGrant: 3, maxBodyBytes: 64 * 1024 });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers 401 with WWW-Authenticate for a missing or unknown token', async () => {
    const missing = await post(`${gateway.url}/mcp/${seeded.serverId}`, INIT);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="portcullis"/);
    expect((await missing.json()) as any).toMatchObject({
      jsonrpc: '2.0',
      error: { message: expect.stringContaining('Missing grant token') },
      id: null,
    });
    const unknown = await post(`${gateway.url}/mcp/${seeded.serverId}`, INIT, {
      authorization: 'Bearer pcg_notarealtokennotarealtokennotarealtoken12',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('invalid_token');
    const inUrl = await post(`${gateway.url}/g/pcg_notarealtokennotarealtokennotarealtoken12/mcp`, INIT);
    expect(inUrl.status).toBe(401);
  });

  it('answers 404 for a valid token used on another server', async () => {
    const res = await post(`${gateway.url}/mcp/${other.serverId}`, INIT, {
      authorization: `Bearer ${seeded.token}`,
    });
    expect(res.status).toBe(404);
  });

  it('refuses expired grants', async () => {
    const expired = await addGrant(seeded.organizationId, seeded.serverId, {
      expiresAt: new Date(Date.now() - 1_000),
    });
    const res = await post(`${gateway.url}/mcp/${seeded.serverId}`, INIT, {
      authorization: `Bearer ${expired.token}`,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.message).toContain('expired');
  });

  it('serves the token-in-URL form', async () => {
    const agent = await connectAgent(gateway, seeded, { tokenInUrl: true });
    const result = (await agent.callTool({
      name: 'get_tweet',
      arguments: { tweet_id: '1850000000000001' },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    await agent.close();
  });

  it('stops a revoked grant on its next call, within a second', async () => {
    const grant = await addGrant(seeded.organizationId, seeded.serverId);
    const agent = await connectAgent(gateway, { serverId: seeded.serverId, token: grant.token });
    expect(
      (
        (await agent.callTool({
          name: 'get_tweet',
          arguments: { tweet_id: '1850000000000001' },
        })) as CallToolResult
      ).isError,
    ).toBeFalsy();
    const db = testDb();
    await db.grant.update({ where: { id: grant.grantId }, data: { revokedAt: new Date() } });
    await notifyChange(db, { type: 'grant', organizationId: seeded.organizationId, grantId: grant.grantId });
    await new Promise((r) => setTimeout(r, 1_000));
    await expect(
      agent.callTool({ name: 'get_tweet', arguments: { tweet_id: '1850000000000001' } }),
    ).rejects.toThrow(/401|revoked/);
    await agent.close().catch(() => undefined);
  });

  it('validates Host and Origin', async () => {
    // fetch cannot set Host; node:http can (as a DNS-rebinding page's browser effectively does).
    const badHost = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${gateway.url}/mcp/${seeded.serverId}`,
        {
          method: 'POST',
          headers: {
            host: 'evil.example',
            'content-type': 'application/json',
            authorization: `Bearer ${seeded.token}`,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(INIT));
    });
    expect(badHost).toBe(403);
    const badOrigin = await post(`${gateway.url}/mcp/${seeded.serverId}`, INIT, {
      authorization: `Bearer ${seeded.token}`,
      origin: 'https://evil.example',
    });
    expect(badOrigin.status).toBe(403);
  });

  it('limits body size (413) and rejects bad JSON (400)', async () => {
    const big = await post(
      `${gateway.url}/mcp/${seeded.serverId}`,
      JSON.stringify({ ...INIT, pad: 'x'.repeat(100 * 1024) }),
      { authorization: `Bearer ${seeded.token}` },
    );
    expect(big.status).toBe(413);
    const broken = await post(`${gateway.url}/mcp/${seeded.serverId}`, '{"jsonrpc":', {
      authorization: `Bearer ${seeded.token}`,
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).error.code).toBe(-32700);
  });

  it("at the session limit, closes the grant's least recently used idle session (its agent gets 404), and frees a slot on DELETE", async () => {
    const grant = await addGrant(seeded.organizationId, seeded.serverId);
    const agents: Client[] = [];
    for (let i = 0; i < 3; i++)
      agents.push(await connectAgent(gateway, { serverId: seeded.serverId, token: grant.token }));
    // The first agent is the least recently used: touch the others.
    for (const a of agents.slice(1)) await a.listTools();
    const evictedId = (agents[0]!.transport as StreamableHTTPClientTransport).sessionId!;
    const fourth = await connectAgent(gateway, { serverId: seeded.serverId, token: grant.token });
    const stale = await post(
      `${gateway.url}/mcp/${seeded.serverId}`,
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      {
        authorization: `Bearer ${grant.token}`,
        'mcp-session-id': evictedId,
        'mcp-protocol-version': '2025-06-18',
      },
    );
    expect(stale.status).toBe(404);
    expect((await agents[1]!.listTools()).tools.length).toBeGreaterThan(0);
    await (fourth.transport as StreamableHTTPClientTransport).terminateSession();
    await fourth.close();
    const again = await connectAgent(gateway, { serverId: seeded.serverId, token: grant.token });
    await again.close();
    for (const a of agents) await a.close();
  });

  it('refuses a new session (429) only when every session of the grant has a request in flight', async () => {
    const held = await seed(twikitServer(tempFile('held.jsonl')), {
      version: '1',
      default: 'deny',
      tools: { get_tweet: { action: 'require_approval', approval: { timeout: 60 } } },
    });
    const agents: Client[] = [];
    const waiting: Array<Promise<unknown>> = [];
    for (let i = 0; i < 3; i++) {
      const agent = await connectAgent(gateway, held);
      agents.push(agent);
      // Held for a person's approval: in flight until the agent goes away.
      waiting.push(
        agent.callTool({ name: 'get_tweet', arguments: { tweet_id: `t${i}` } }).catch(() => undefined),
      );
    }
    await waitForPending(held.serverId, 3);
    const refused = await post(`${gateway.url}/mcp/${held.serverId}`, INIT, {
      authorization: `Bearer ${held.token}`,
    });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.message).toContain('Too many open sessions');
    for (const a of agents) {
      await (a.transport as StreamableHTTPClientTransport).terminateSession().catch(() => undefined);
      await a.close();
    }
    await Promise.all(waiting);
  });

  it("counts a grant's sessions across replicas, including concurrent opens", async () => {
    const second = await startGateway({ maxSessionsPerGrant: 3 });
    try {
      const grant = await addGrant(seeded.organizationId, seeded.serverId);
      const a = await connectAgent(gateway, { serverId: seeded.serverId, token: grant.token });
      const b = await connectAgent(second, { serverId: seeded.serverId, token: grant.token });
      const open = () => testDb().gatewaySession.count({ where: { grantId: grant.grantId, closedAt: null } });
      // Two more at once, one on each replica, with one slot left between them: the limit holds
      // (an idle session on a replica makes room for the other; never a fourth open session).
      const answers = await Promise.all(
        [gateway, second].map((g) =>
          post(`${g.url}/mcp/${seeded.serverId}`, INIT, { authorization: `Bearer ${grant.token}` }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(await open()).toBe(3);
      const more = await post(`${second.url}/mcp/${seeded.serverId}`, INIT, {
        authorization: `Bearer ${grant.token}`,
      });
      expect(more.status).toBe(200);
      expect(await open()).toBe(3);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await second.close();
    }
  });

  it('works over the legacy HTTP+SSE transport', async () => {
    const agent = await connectAgent(gateway, seeded, { sse: true });
    const { tools } = await agent.listTools();
    expect(tools.map((t) => t.name)).toEqual(['get_tweet']);
    const denied = (await agent.callTool({ name: 'send_tweet', arguments: { text: 'x' } })) as CallToolResult;
    expect(textOf(denied)).toMatch(/^Denied by policy/);
    await agent.close();
    const viaUrl = await connectAgent(gateway, seeded, { sse: true, tokenInUrl: true });
    expect(
      (
        (await viaUrl.callTool({
          name: 'get_tweet',
          arguments: { tweet_id: '1850000000000001' },
        })) as CallToolResult
      ).isError,
    ).toBeFalsy();
    await viaUrl.close();
  });

  it('continues a session on another replica', async () => {
    const second = await startGateway();
    try {
      const agent = await connectAgent(gateway, seeded);
      const sessionId = (agent.transport as StreamableHTTPClientTransport).sessionId!;
      expect(sessionId).toBeTruthy();
      // Same session id, other replica: what a load balancer without affinity does.
      const moved = new Client({ name: 'test-agent', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${second.url}/mcp/${seeded.serverId}`), {
        sessionId,
        requestInit: { headers: { Authorization: `Bearer ${seeded.token}` } },
      });
      // Connecting with a session id skips initialize in the SDK client.
      await moved.connect(transport);
      const result = (await moved.callTool({
        name: 'get_tweet',
        arguments: { tweet_id: '1850000000000001' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const rows = (await auditRows(seeded.serverId)).filter((r) => r.sessionId === sessionId);
      expect(rows).toHaveLength(1);
      await moved.close();
      await agent.close();
    } finally {
      await second.close();
    }
  });

  it('denies everything, and lists nothing, when no policy is active; stores arguments in full when the server says so', async () => {
    const bare = await seed({ ...twikitServer(tempFile('bare.jsonl')), auditArguments: 'full' }, null);
    const agent = await connectAgent(gateway, bare);
    expect((await agent.listTools()).tools).toEqual([]);
    const result = (await agent.callTool({
      name: 'get_tweet',
      arguments: { tweet_id: '1850000000000001' },
    })) as CallToolResult;
    expect(textOf(result)).toBe('Denied by policy (no policy): No policy is active for this server');
    const rows = await auditRows(bare.serverId);
    expect(rows).toMatchObject([
      {
        decision: 'deny',
        ruleId: '(no policy)',
        policyVersion: null,
        argumentsRedacted: false,
        arguments: { tweet_id: '1850000000000001' },
      },
    ]);
    await agent.close();
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('portcullis_gateway_tool_calls_total{decision="allow",tool="get_tweet"}');
    expect(metrics).toContain('portcullis_gateway_tool_call_duration_seconds_bucket');
    expect(metrics).toContain('portcullis_gateway_approvals_pending 0');
    expect(readCallLog(logFile).length).toBeGreaterThan(0);
  });

  it('marks every answer nosniff', async () => {
    for (const res of [
      await fetch(`${gateway.url}/healthz`),
      await post(`${gateway.url}/mcp/${seeded.serverId}`, INIT),
      await fetch(`${gateway.url}/nowhere`),
    ]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves /metrics only to the allowed ranges or a bearer of the metrics token', async () => {
    const guarded = await startGateway({
      metricsAllow: ['10.0.0.0/8'],
      metricsToken: 'scrape-secret-0123456789',
    });
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(404);
      expect(
        (await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong-secret' } })).status,
      ).toBe(404);
      const scraped = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: 'Bearer scrape-secret-0123456789' },
      });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('portcullis_gateway_approvals_pending');
      expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
