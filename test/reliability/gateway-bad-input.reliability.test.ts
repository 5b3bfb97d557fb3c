// Issue #8, "gateway bad input": ≥ 10,000 generated malformed requests against a gateway process.
// Every answer must be the right HTTP status (or a JSON-RPC error), the process must survive, and its
// memory must stay flat. Figures go to test/reliability/.results/ for docs/reliability.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encryptionKey, seed, tempFile, twikitServer, type Seeded } from '../../apps/gateway/test/harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOTAL = Number(process.env.RELIABILITY_MALFORMED ?? 10_000);
const CONCURRENCY = 16;

let gateway: ChildProcess;
let port: number;
let seeded: Seeded;
let sessionId: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Probe {
  kind: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Acceptable statuses; for 200 the body must carry a JSON-RPC error. */
  expect: number[];
}

function send(p: Probe): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: p.path, method: p.method ?? 'POST', agent, headers: { host: `localhost:${port}`, ...p.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolve({ status: -1, body: '' }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: e.code === 'ECONNRESET' || e.code === 'EPIPE' ? -2 : -1, body: String(e) }));
    // A request the gateway never answers is a failure of its own (-3), not a hung test.
    req.setTimeout(10_000, () => {
      resolve({ status: -3, body: 'no answer within 10 s' });
      req.destroy();
    });
    if (p.body !== undefined) req.end(p.body);
    else req.end();
  });
}

function rssKb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return Number(m?.[1] ?? 0);
}

/** Deterministic pseudo-random generator, so a failing probe can be reproduced. */
function rng(seedValue: number) {
  let s = seedValue >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function probes(n: number): Probe[] {
  const rand = rng(42);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const auth = { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const withSession = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
  const mcp = `/mcp/${seeded.serverId}`;
  const brokenJson = ['{', '{"jsonrpc":"2.0",', '[1,2', 'nul', '{"a":}', '\u0000\u0001', '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"', '}{'];
  const wrongShapes = [
    '{}', '[]', '1', '"text"', 'null', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":{},"method":"ping"}',
    '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"2.0","id":1,"method":42}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":{"$gt":1}}}', '[{"jsonrpc":"2.0"}]',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_tweet","arguments":"not an object"}}',
  ];
  const kinds: Array<() => Probe> = [
    () => ({ kind: 'broken JSON', path: mcp, headers: withSession, body: pick(brokenJson), expect: [400] }),
    () => ({ kind: 'wrong JSON-RPC shape', path: mcp, headers: withSession, body: pick(wrongShapes), expect: [200, 400] }),
    () => ({ kind: 'unknown method', path: mcp, headers: withSession, body: JSON.stringify({ jsonrpc: '2.0', id: Math.floor(rand() * 1e6), method: `x/${Math.floor(rand() * 1e9)}` }), expect: [200] }),
    () => ({ kind: 'wrong content type', path: mcp, headers: { ...withSession, 'content-type': pick(['text/plain', 'application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded']) }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}', expect: [415] }),
    () => ({ kind: 'bad session id', path: mcp, headers: { ...auth, 'mcp-session-id': `bogus-${Math.floor(rand() * 1e9)}` }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}', expect: [404] }),
    () => ({ kind: 'bad token', path: mcp, headers: { ...withSession, authorization: pick([`Bearer pcg_${'A'.repeat(43)}`, 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${seeded.token}x`, 'Bearer \u00ff']) }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}', expect: [401] }),
    () => ({ kind: 'no token', path: mcp, headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}', expect: [401] }),
    () => ({ kind: 'bad token in URL', path: `/g/pcg_${Math.floor(rand() * 1e12)}/mcp`, headers: { 'content-type': 'application/json' }, body: '{}', expect: [401] }),
    () => {
      const method = pick(['GET', 'POST', 'PUT', 'PATCH']);
      const target = pick(['/', '/mcp', '/mcp/', `/mcp/${seeded.serverId}/x/y`, '/g/', '/../../etc/passwd', '/%00', '/admin']);
      return { kind: 'bad path', method, path: target, headers: auth, body: method === 'GET' ? undefined : '{}', expect: [404, 405] };
    },
    () => ({ kind: 'wrong HTTP method', method: pick(['PUT', 'PATCH']), path: mcp, headers: withSession, body: '{}', expect: [405] }),
  ];
  const out = Array.from({ length: n }, () => pick(kinds)());
  // Huge bodies: fewer, they are slow to build and send.
  const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
  for (let i = 0; i < Math.max(20, Math.floor(n / 500)); i += 1) out.push({ kind: 'huge body', path: mcp, headers: withSession, body: huge, expect: [413, -2] });
  return out;
}

beforeAll(async () => {
  seeded = await seed(twikitServer(tempFile('calls.jsonl')), { version: '1', default: 'allow' });
  port = await freePort();
  gateway = spawn(process.execPath, ['--import', 'tsx', 'apps/gateway/src/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      GATEWAY_PORT: String(port),
      PORTCULLIS_ENCRYPTION_KEY: encryptionKey.toString('base64'),
      GATEWAY_STDIO_COMMANDS: 'node',
      GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true',
      GATEWAY_MAX_SESSIONS_PER_GRANT: '1000',
      LOG_LEVEL: 'error',
    },
  });
  for (let i = 0; i < 100; i += 1) {
    const ok = await send({ kind: 'health', method: 'GET', path: '/readyz', expect: [200] }).catch(() => ({ status: 0 }));
    if (ok.status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const init = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1', port, path: `/mcp/${seeded.serverId}`, method: 'POST',
        headers: { host: `localhost:${port}`, authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      },
      (res) => {
        res.resume();
        const id = res.headers['mcp-session-id'];
        if (typeof id === 'string') resolve(id);
        else reject(new Error(`initialize answered ${res.statusCode} without a session id`));
      },
    );
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }));
  });
  sessionId = init;
}, 120_000);

afterAll(() => {
  agent.destroy();
  gateway?.kill('SIGKILL');
});

describe('gateway under malformed input', () => {
  it(`answers ${TOTAL}+ malformed requests with the right status, stays up, memory flat`, async () => {
    const rssBefore = rssKb(gateway.pid!);
    const list = probes(TOTAL);
    const byKind: Record<string, { count: number; statuses: Record<string, number> }> = {};
    const unexpected: string[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < list.length) {
          const probe = list[next++]!;
          const res = await send(probe);
          const entry = (byKind[probe.kind] ??= { count: 0, statuses: {} });
          entry.count += 1;
          entry.statuses[res.status] = (entry.statuses[res.status] ?? 0) + 1;
          const jsonRpcErrorOk = res.status !== 200 || /"error"\s*:/.test(res.body);
          if (!probe.expect.includes(res.status) || !jsonRpcErrorOk) {
            if (unexpected.length < 20) unexpected.push(`${probe.kind} ${probe.method ?? 'POST'} ${probe.path} → ${res.status} ${res.body.slice(0, 160)}`);
            else unexpected.push('…');
          }
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const health = await send({ kind: 'health', method: 'GET', path: '/healthz', expect: [200] });
    const rssAfter = rssKb(gateway.pid!);
    const results = {
      requests: list.length, seconds, perSecond: Math.round(list.length / seconds), byKind,
      unexpected: unexpected.length, crashed: gateway.exitCode !== null, healthAfter: health.status,
      rssBeforeMb: +(rssBefore / 1024).toFixed(1), rssAfterMb: +(rssAfter / 1024).toFixed(1),
    };
    mkdirSync(path.join(root, 'test/reliability/.results'), { recursive: true });
    writeFileSync(path.join(root, 'test/reliability/.results/gateway-bad-input.json'), JSON.stringify(results, null, 2));
    expect(unexpected).toEqual([]);
    expect(list.length).toBeGreaterThanOrEqual(TOTAL);
    expect(gateway.exitCode).toBeNull();
    expect(health.status).toBe(200);
    // Flat: allow for heap warm-up, not for per-request leaks (10k requests leaking even 10 KB each would show).
    expect(rssAfter - rssBefore).toBeLessThan(80 * 1024);
  }, 600_000);
});
