// Per-organization admission through real gateways: organization A at its cap of calls in flight
// waits in its own queue and is answered busy, while organization B's calls are admitted at once;
// a stateless (2026-07-28) caller gets HTTP 429 with Retry-After; over two replicas the cap holds
// per replica (docs/scaling.md), so A has exactly 2 × its cap in flight and no more.
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_CODE } from '../src/admission/call-admission.ts';
import type { Gateway } from '../src/gateway.ts';
import {
  connectAgent,
  nodeScriptServer,
  seed,
  startGateway,
  testDb,
  textOf,
  waitFor,
  type Seeded,
} from './harness.ts';

const faultyServer = fileURLToPath(new URL('./fixtures/faulty-server.mjs', import.meta.url));
const POLICY = { version: '1', default: 'allow', tools: {} };
const WAIT_MS = 300;

/** Starts a call to the tool that never answers; abort() ends it (the agent cancels). */
function hang(agent: Client) {
  const controller = new AbortController();
  const done = agent
    .request({ method: 'tools/call', params: { name: 'hang', arguments: {} } }, CallToolResultSchema, {
      signal: controller.signal,
      timeout: 30_000,
    })
    .catch((error: unknown) => error);
  return { abort: () => controller.abort(), done };
}

async function busyError(agent: Client): Promise<{ code: number; data?: { retryAfterMs?: number } }> {
  const error = await agent.callTool({ name: 'ok', arguments: {} }).then(
    () => undefined,
    (e: unknown) => e as { code: number; data?: { retryAfterMs?: number } },
  );
  if (!error) throw new Error('the call was admitted');
  return error;
}

describe('per-organization admission', () => {
  let gateway: Gateway;
  let a: Seeded;
  let b: Seeded;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      seed(nodeScriptServer(faultyServer), POLICY),
      seed(nodeScriptServer(faultyServer), POLICY),
    ]);
    // The operator's override for A; B keeps the gateway default.
    await testDb().organization.update({ where: { id: a.organizationId }, data: { maxCallsInFlight: 2 } });
    gateway = await startGateway({
      admission: { maxInFlight: 64, maxInFlightPerOrganization: 8, maxInFlightPerGrant: 8, waitMs: WAIT_MS },
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers A busy at its cap while B is admitted at once, and serves A from its queue when a slot frees', async () => {
    const agentA = await connectAgent(gateway, a);
    const agentB = await connectAgent(gateway, b);
    const held = [hang(agentA), hang(agentA)];
    await waitFor(async () => gateway.services.admission.inFlightOf(a.organizationId) === 2 || undefined);

    const started = performance.now();
    const error = await busyError(agentA);
    expect(error.code).toBe(BUSY_CODE);
    expect(error.data?.retryAfterMs).toBeGreaterThan(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 20);

    // B shares the gateway (and the cap default is 8): its calls are admitted at once, 6 at a time.
    const before = performance.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => agentB.callTool({ name: 'ok', arguments: {} })),
    );
    expect(results.every((r) => !r.isError && textOf(r).startsWith('ok from'))).toBe(true);
    expect(performance.now() - before).toBeLessThan(WAIT_MS * 4);

    // A's queued call is admitted as soon as one of A's own calls ends.
    const queued = agentA.callTool({ name: 'ok', arguments: {} });
    await new Promise((resolve) => setTimeout(resolve, 50));
    held[0]!.abort();
    const result = await queued;
    expect(textOf(result)).toMatch(/^ok from/);
    held[1]!.abort();
    await Promise.all(held.map((h) => h.done));
    await waitFor(async () => gateway.services.admission.inFlightOf(a.organizationId) === 0 || undefined);
    await Promise.all([agentA.close(), agentB.close()]);
  });

  it('answers a stateless 2026-07-28 caller at its cap with HTTP 429, Retry-After and retryAfterMs', async () => {
    const agentA = await connectAgent(gateway, a);
    const held = [hang(agentA), hang(agentA)];
    await waitFor(async () => gateway.services.admission.inFlightOf(a.organizationId) === 2 || undefined);
    const res = await fetch(`${gateway.url}/mcp/${a.serverId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${a.token}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'ok',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'ok',
          arguments: {},
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const json = (await res.json()) as {
      id: number;
      error: { code: number; data: { retryAfterMs: number } };
    };
    expect(json.id).toBe(7);
    expect(json.error.code).toBe(BUSY_CODE);
    expect(json.error.data.retryAfterMs).toBeGreaterThan(0);
    held.forEach((h) => h.abort());
    await Promise.all(held.map((h) => h.done));
    await agentA.close();
  });
});

describe('per-organization admission over two replicas', () => {
  let replicas: Gateway[];
  let a: Seeded;
  let b: Seeded;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      seed(nodeScriptServer(faultyServer), POLICY),
      seed(nodeScriptServer(faultyServer), POLICY),
    ]);
    await testDb().organization.update({ where: { id: a.organizationId }, data: { maxCallsInFlight: 2 } });
    const admission = {
      maxInFlight: 64,
      maxInFlightPerOrganization: 8,
      maxInFlightPerGrant: 8,
      waitMs: WAIT_MS,
    };
    replicas = await Promise.all([startGateway({ admission }), startGateway({ admission })]);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((g) => g.close()));
  });

  it('holds the cap on each replica: A has exactly 2 × 2 calls in flight, the next is busy on both, B is served on both', async () => {
    const agentsA = await Promise.all(replicas.map((g) => connectAgent(g, a)));
    const agentsB = await Promise.all(replicas.map((g) => connectAgent(g, b)));
    // Two calls per replica take the cap there; the third on each replica waits and is refused.
    const held = agentsA.flatMap((agent) => [hang(agent), hang(agent)]);
    await waitFor(
      async () => replicas.every((g) => g.services.admission.inFlightOf(a.organizationId) === 2) || undefined,
    );
    const errors = await Promise.all(agentsA.map((agent) => busyError(agent)));
    expect(errors.map((e) => e.code)).toEqual([BUSY_CODE, BUSY_CODE]);
    expect(replicas.map((g) => g.services.admission.inFlightOf(a.organizationId))).toEqual([2, 2]);
    const served = await Promise.all(agentsB.map((agent) => agent.callTool({ name: 'ok', arguments: {} })));
    expect(served.every((r) => textOf(r).startsWith('ok from'))).toBe(true);
    held.forEach((h) => h.abort());
    await Promise.all(held.map((h) => h.done));
    await Promise.all([...agentsA, ...agentsB].map((agent) => agent.close()));
  });
});
