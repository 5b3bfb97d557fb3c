// Cancelling a call must not give its rate-limit slot back once the upstream has it: the upstream
// runs it anyway. Real gateway, real stdio upstream (it logs each call the moment it starts), real
// SDK client sending notifications/cancelled.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  nodeScriptServer,
  seed,
  startGateway,
  tempFile,
  textOf,
  waitFor,
  type Seeded,
} from './harness.ts';

const faultyServer = fileURLToPath(new URL('./fixtures/faulty-server.mjs', import.meta.url));
const POLICY = {
  version: '1',
  default: 'deny',
  tools: { slow: { limits: [{ counter: 'slow', window: 'minute', max: 3, scope: 'grant' }] } },
};

describe('cancelling rate-limited calls', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const logFile = tempFile('slow-calls.log');
  const ran = () =>
    existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).length : 0;

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(faultyServer, '--log-file', logFile), POLICY);
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('keeps the slot of a call cancelled after it was sent, and audits it as cancelled, never as a timeout', async () => {
    for (let i = 0; i < 8; i++) {
      const controller = new AbortController();
      const before = ran();
      const call = agent.request(
        { method: 'tools/call', params: { name: 'slow', arguments: {} } },
        CallToolResultSchema,
        { signal: controller.signal },
      );
      const settled = call.then(
        () => true,
        () => true,
      );
      if (i % 2 === 0) {
        // The attack as reported: cancel 3–4 ms after sending.
        await new Promise((resolve) => setTimeout(resolve, 3));
      } else {
        // Cancel once the upstream has certainly started running it (or the gateway refused it).
        await waitFor(
          async () => ran() > before || (await Promise.race([settled, Promise.resolve(false)])),
          5_000,
          1,
        );
      }
      controller.abort('changed my mind');
      await settled;
    }
    // The upstream's 300 ms run of the last call is over; nothing more can arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const runs = ran();
    expect(runs).toBeGreaterThan(0);
    const limited = (await agent.callTool({ name: 'slow', arguments: {} })) as CallToolResult;
    // At most 3 runs in the minute, however many were cancelled.
    expect(runs + (limited.isError ? 0 : 1)).toBeLessThanOrEqual(3);
    if (runs === 3) expect(textOf(limited)).toMatch(/^Rate limited by \/tools\/slow\/limits\/0/);
    const rows = await waitFor(async () => {
      const r = await auditRows(seeded.serverId);
      return r.length === 9 && r.every((row) => row.upstreamOutcome !== 'pending') ? r : undefined;
    });
    expect(rows.filter((r) => r.upstreamOutcome === 'timeout')).toEqual([]);
    // Every call that reached the upstream is recorded as run or cancelled (it may have run), never as
    // not sent; a cancel that overtook its call on the way to the gateway leaves the call to run (`ok`).
    const reached = rows.filter((r) => ['ok', 'cancelled'].includes(r.upstreamOutcome));
    expect(reached.length).toBe(runs + (limited.isError ? 0 : 1));
    const cancelled = rows.filter((r) => r.upstreamOutcome === 'cancelled');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled[0]!.upstreamError).toMatch(/may have run/);
    expect(rows.filter((r) => r.decision === 'rate_limited').length).toBeGreaterThan(0);
  });
});

// An upstream that takes the call, runs it and then fails the HTTP exchange (HTTP 500): the write
// did not fail, so the slot is kept.
describe('an upstream that answers HTTP 500 after taking the call', () => {
  let gateway: Gateway;
  let upstream: http.Server;
  let seeded: Seeded;
  let agent: Client;
  let ran = 0;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const message = JSON.parse(body || '{}') as { id?: number; method?: string };
        const answer = (result: unknown) =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
        if (message.id === undefined) return void res.writeHead(202).end();
        if (message.method === 'initialize')
          return answer({
            protocolVersion: '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'fails-after', version: '1' },
          });
        if (message.method === 'tools/list')
          return answer({
            tools: [
              {
                name: 'boom',
                description: 'Runs, then the server answers HTTP 500.',
                inputSchema: { type: 'object' },
              },
            ],
          });
        if (message.method === 'tools/call') {
          ran += 1;
          return void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        }
        answer({});
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    seeded = await seed(
      { transport: 'streamable_http', url },
      {
        version: '1',
        default: 'deny',
        tools: { boom: { limits: [{ counter: 'boom', window: 'minute', max: 1, scope: 'grant' }] } },
      },
    );
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('keeps the slot: the second call in the minute is rate limited', async () => {
    await expect(agent.callTool({ name: 'boom', arguments: {} })).rejects.toThrow();
    const second = await agent.callTool({ name: 'boom', arguments: {} }).catch((error: Error) => error);
    expect(second instanceof Error ? second.message : textOf(second as CallToolResult)).toMatch(
      /^Rate limited by \/tools\/boom\/limits\/0/,
    );
    expect(ran).toBe(1);
    const rows = await waitFor(async () => {
      const r = await auditRows(seeded.serverId);
      return r.length === 2 && r.every((row) => row.upstreamOutcome !== 'pending') ? r : undefined;
    });
    expect(rows.map((r) => [r.decision, r.upstreamOutcome])).toEqual([
      ['allow', 'error'],
      ['rate_limited', 'not_sent'],
    ]);
  });
});
