// The real process over Streamable HTTP on an ephemeral port.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnHttp, tempDir, withHelpers } from './helpers.ts';

let proc: Awaited<ReturnType<typeof spawnHttp>>;
let logFile: string;
const base = () => `http://127.0.0.1:${proc.port}`;

async function connect() {
  const client = new Client({ name: 'twikit-http-test', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base()}/mcp`)));
  return withHelpers(client, () => client.close());
}

function rawGet(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proc.port, path, method: 'GET', headers: { host } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  logFile = join(tempDir(), 'http-calls.jsonl');
  proc = await spawnHttp({ TWIKIT_CALL_LOG: logFile });
}, 30_000);

afterAll(async () => {
  await proc?.stop();
});

describe('streamable HTTP', () => {
  it('binds the ephemeral port it reports and serves health', async () => {
    expect(proc.port).toBeGreaterThan(0);
    const res = await fetch(`${base()}/healthz`);
    expect(await res.json()).toMatchObject({ ok: true, tools: 62 });
  });

  it('lists 62 tools and shares one account across sessions', async () => {
    const a = await connect();
    const b = await connect();
    try {
      expect((await a.client.listTools()).tools).toHaveLength(62);
      const sent = await a.json('send_tweet', { text: 'from session A' });
      expect((await b.json('get_tweet', { tweet_id: sent.id })).text).toBe('from session A');
      await b.json('join_community', { community_id: '1490000000000002' });
      expect(await a.error('join_community', { community_id: '1490000000000002' })).toMatch(
        'already a member',
      );
      expect(
        ((await (await fetch(`${base()}/healthz`)).json()) as { sessions: number }).sessions,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('exposes the call log read-only at GET /calls and in the JSONL file', async () => {
    const calls = (await (await fetch(`${base()}/calls`)).json()) as Array<{
      tool: string;
      arguments: unknown;
      ok: boolean;
    }>;
    expect(calls.map((c) => [c.tool, c.ok])).toEqual([
      ['send_tweet', true],
      ['get_tweet', true],
      ['join_community', true],
      ['join_community', false],
    ]);
    const fileLines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(fileLines).toEqual(calls);
    expect((await fetch(`${base()}/calls`, { method: 'DELETE' })).status).toBe(405);
  });

  it('rejects foreign Host headers (DNS rebinding) but accepts localhost names', async () => {
    expect((await rawGet('/healthz', 'evil.example:4100')).status).toBe(403);
    expect((await rawGet('/mcp', 'attacker.test')).status).toBe(403);
    expect((await rawGet('/healthz', `localhost:${proc.port}`)).status).toBe(200);
  });

  it('rejects non-initialize requests without a session', async () => {
    const res = await fetch(`${base()}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(400);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    expect(await proc.stop()).toBe(0);
    expect(proc.stderr()).toContain('shutting down (SIGTERM)');
  });
});
