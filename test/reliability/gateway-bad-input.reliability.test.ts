// Issue #8, "gateway bad input": RELIABILITY_MALFORMED (≥ 10,000) generated malformed requests
// against a gateway process. Every answer must be the right HTTP status (and for 200 a JSON-RPC
// error or a refusal), no request may go unanswered, the process must survive, and its memory,
// read after a full garbage collection before and after, must stay flat.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, seed, tempFile, twikitServer, type Seeded } from '../../apps/gateway/test/harness.ts';
import { type GatewayProcess, startGatewayProcess } from './support/processes.ts';
import { envInt, writeResult } from './support/results.ts';

const TOTAL = envInt('RELIABILITY_MALFORMED', 10_000);
const CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 10_000;

let gateway: GatewayProcess;
let seeded: Seeded;
let sessionId: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** What a probe must get back: one of `status`, and for 200 a body of the given kind. */
interface Probe {
  kind: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number[];
  body200?: 'jsonrpc-error' | 'refusal' | 'error-or-tool-error';
}

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function send(p: Probe): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path: p.path,
        method: p.method ?? 'POST',
        agent,
        headers: { host: `localhost:${gateway.port}`, ...p.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
        res.on('error', () => resolve({ status: -1, body: '', headers: {} }));
      },
    );
    // An unanswered request is a failure of its own kind, not a hang of the test.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      resolve({ status: -3, body: 'no answer', headers: {} });
      req.destroy();
    });
    // The gateway may close the socket while a too-large body is still being sent: that is its answer.
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        status: e.code === 'ECONNRESET' || e.code === 'EPIPE' ? -2 : -1,
        body: String(e),
        headers: {},
      }),
    );
    if (p.body !== undefined) req.end(p.body);
    else req.end();
  });
}

/** Deterministic generator, so a failing probe can be reproduced. */
function rng(seedValue: number) {
  let s = seedValue >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function probes(n: number, seedValue: number): Probe[] {
  const rand = rng(seedValue);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const id = () => Math.floor(rand() * 1e9);
  const auth = {
    authorization: `Bearer ${seeded.token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const withSession = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
  const mcp = `/mcp/${seeded.serverId}`;
  const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
  // Requests of one session run concurrently here, so each gets its own id (a reused id is refused with 400, rightly).
  const withId = (body: string) => body.replace(/"id":1\b/, `"id":${id()}`);
  const brokenJson = [
    '{',
    '{"jsonrpc":"2.0",',
    '[1,2',
    'nul',
    '{"a":}',
    '\u0000\u0001',
    '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"',
    '}{',
    '',
    '\uFEFF{}',
    '{"a":1}{"b":2}',
  ];
  const invalidMessages = [
    '{}',
    '[]',
    '1',
    '"text"',
    'null',
    'true',
    '{"jsonrpc":"1.0","id":1,"method":"ping"}',
    '{"jsonrpc":"2.0","id":{},"method":"ping"}',
    '{"jsonrpc":"2.0","id":null,"method":"ping"}',
    '{"jsonrpc":"2.0","id":1.5,"method":"ping"}',
    '{"jsonrpc":"2.0","id":[1],"method":"ping"}',
    '{"jsonrpc":"2.0","id":1}',
    '{"jsonrpc":"2.0","id":1,"method":42}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1,2]}',
    '[{"jsonrpc":"2.0"}]',
    '[1,2,3]',
    '{"jsonrpc":"2.0","id":2,"result":null}',
    '{"jsonrpc":"2.0","id":3,"error":{"code":"x"}}',
    '[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","id":5,"method":"ping"}]',
  ];
  const invalidParams = [
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":{"$gt":1}}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_tweet","arguments":"not an object"}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":{}}}',
    '{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{}}',
  ];
  const stray = [
    '{"jsonrpc":"2.0","method":"x/unknown"}',
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":424242}}',
    '{"jsonrpc":"2.0","id":999999,"result":{}}',
  ];
  const deep = (depth: number) =>
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_tweet","arguments":{"tweet_id":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
  const kinds: Array<() => Probe> = [
    () => ({ kind: 'broken JSON', path: mcp, headers: withSession, body: pick(brokenJson), status: [400] }),
    () => ({
      kind: 'invalid JSON-RPC message',
      path: mcp,
      headers: withSession,
      body: pick(invalidMessages),
      status: [400],
    }),
    () => ({
      kind: 'invalid params',
      path: mcp,
      headers: withSession,
      body: withId(pick(invalidParams)),
      status: [200],
      body200: 'jsonrpc-error',
    }),
    () => ({
      kind: 'stray notification or response',
      path: mcp,
      headers: withSession,
      body: pick(stray),
      status: [202],
    }),
    () => ({
      kind: 'unknown method',
      path: mcp,
      headers: withSession,
      body: JSON.stringify({ jsonrpc: '2.0', id: id(), method: `x/${id()}` }),
      status: [200],
      body200: 'jsonrpc-error',
    }),
    () => ({
      kind: 'unknown or hostile tool name',
      path: mcp,
      headers: withSession,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: id(),
        method: 'tools/call',
        params: {
          name: pick([
            '../../etc/passwd',
            '<script>alert(1)</script>',
            'a'.repeat(5000),
            '\uD800',
            `x${id()}`,
            '',
            ' get_tweet',
          ]),
          arguments: {},
        },
      }),
      status: [200],
      body200: 'refusal',
    }),
    () => ({
      kind: 'deeply nested arguments',
      path: mcp,
      headers: withSession,
      body: withId(deep(pick([1_000, 50_000, 200_000]))),
      status: [200, 400],
      body200: 'error-or-tool-error',
    }),
    () => ({
      kind: 'wrong content type',
      path: mcp,
      headers: {
        ...withSession,
        'content-type': pick([
          'text/plain',
          'application/xml',
          'multipart/form-data',
          'application/x-www-form-urlencoded',
          '',
        ]),
      },
      body: ping,
      status: [415],
    }),
    () => ({
      kind: 'wrong Accept',
      path: mcp,
      headers: { ...withSession, accept: pick(['text/html', 'application/json', '*/x']) },
      body: ping,
      status: [406],
    }),
    () => ({
      kind: 'unsupported protocol version',
      path: mcp,
      headers: {
        ...withSession,
        'mcp-protocol-version': pick(['1999-01-01', 'x', '2025-06-18; drop table']),
      },
      body: ping,
      status: [400],
    }),
    () => {
      const method = pick(['POST', 'GET', 'DELETE']);
      return {
        kind: 'bad session id',
        method,
        path: mcp,
        headers: {
          ...auth,
          'mcp-session-id': pick([`bogus-${id()}`, 'a'.repeat(300), '../../x', 'sess\u00e9']),
        },
        ...(method === 'POST' ? { body: ping } : {}),
        status: [404],
      };
    },
    () => ({
      kind: 'no session, not initialize',
      path: mcp,
      headers: auth,
      body: pick([
        ping,
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}',
        '{"jsonrpc":"2.0","id":{},"method":"initialize","params":{"capabilities":{}}}',
      ]),
      status: [400],
    }),
    () => ({
      kind: 'bad token',
      path: mcp,
      headers: {
        ...withSession,
        authorization: pick([
          `Bearer pcg_${'A'.repeat(43)}`,
          'Bearer ',
          'Basic dXNlcjpwYXNz',
          `Bearer ${seeded.token}x`,
          'Bearer \u00ff',
          `Bearer ${seeded.token.slice(0, -1)}`,
          'bearer',
          `Bearer ${'x'.repeat(8000)}`,
        ]),
      },
      body: ping,
      status: [401],
    }),
    () => ({
      kind: 'no token',
      path: mcp,
      headers: { 'content-type': 'application/json' },
      body: ping,
      status: [401],
    }),
    () => ({
      kind: 'bad token in URL',
      path: `/g/${pick([`pcg_${id()}`, 'x', seeded.token.slice(0, 20)])}/${pick(['mcp', 'sse', 'messages'])}`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
      status: [401],
    }),
    () => ({
      kind: 'bad Host (DNS rebinding)',
      path: mcp,
      headers: { ...withSession, host: pick(['evil.example', 'localhost:1', 'localhost.evil.example']) },
      body: ping,
      status: [403],
    }),
    () => ({
      kind: 'bad Origin',
      path: mcp,
      headers: { ...withSession, origin: pick(['http://evil.example', 'null', 'http://localhost:1']) },
      body: ping,
      status: [403],
    }),
    () => {
      const method = pick(['GET', 'POST', 'PUT', 'PATCH']);
      const path = pick([
        '/',
        '/mcp',
        '/mcp/',
        `/mcp/${seeded.serverId}/x/y`,
        '/g/',
        '/../../etc/passwd',
        '/%00',
        '/admin',
        `/mcp/${'a'.repeat(65)}`,
        '/mcp/x%2F..%2Fy',
        '/metrics/x',
      ]);
      return {
        kind: 'bad path',
        method,
        path,
        headers: auth,
        ...(method === 'GET' ? {} : { body: '{}' }),
        status: [404, 405],
      };
    },
    () => {
      const method = pick(['PUT', 'PATCH', 'OPTIONS', 'TRACE']);
      return {
        kind: 'wrong HTTP method',
        method,
        path: mcp,
        headers: withSession,
        ...(method === 'PUT' || method === 'PATCH' ? { body: '{}' } : {}),
        status: [405],
      };
    },
    // GET on /sse opens a legacy session stream (not malformed); GET on /messages and POST on /sse are.
    () =>
      rand() < 0.5
        ? {
            kind: 'legacy SSE endpoint misuse',
            method: 'GET',
            path: `${mcp}/messages`,
            headers: auth,
            status: [405],
          }
        : {
            kind: 'legacy SSE endpoint misuse',
            path: `${mcp}/${pick(['sse', 'messages?sessionId=nope'])}`,
            headers: auth,
            body: '{}',
            status: [404, 405],
          },
  ];
  const out = Array.from({ length: n }, () => pick(kinds)());
  // Rare and slow to build: huge bodies (declared and streamed) and oversized headers.
  const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
  for (let i = 0; i < Math.max(20, Math.floor(n / 500)); i += 1) {
    out.push({ kind: 'huge body', path: mcp, headers: withSession, body: huge, status: [413, -2] });
    out.push({
      kind: 'oversized headers',
      path: mcp,
      headers: { ...withSession, 'x-filler': 'f'.repeat(20_000) },
      body: ping,
      status: [431, -2],
    });
  }
  return out;
}

function acceptable(p: Probe, a: Answer): boolean {
  if (!p.status.includes(a.status)) return false;
  if (a.status === 401 && !String(a.headers['www-authenticate'] ?? '').startsWith('Bearer')) return false;
  if (a.status === 200 && p.body200 === 'jsonrpc-error')
    return /"error"\s*:\s*\{"code":-32\d{3}/.test(a.body);
  // A well-formed name the catalog lacks is a policy refusal; a name outside MCP's tool-name rules
  // (empty, too long, spaces, markup, a lone surrogate) is refused as invalid params before policy.
  if (a.status === 200 && p.body200 === 'refusal') {
    return (
      (/"isError":true/.test(a.body) && /Denied by policy/.test(a.body)) ||
      /"error"\s*:\s*\{"code":-32602,"message":"Invalid tool name/.test(a.body)
    );
  }
  if (a.status === 200 && p.body200 === 'error-or-tool-error')
    return /"error"\s*:\s*\{"code":-32\d{3}/.test(a.body) || /"isError":true/.test(a.body);
  if (a.status >= 400 && a.status !== 431)
    return /"error"\s*:\s*\{"code":-?\d+,"message":"[^"]+/.test(a.body);
  return true;
}

beforeAll(async () => {
  seeded = await seed(twikitServer(tempFile('calls.jsonl')), { version: '1', default: 'allow' });
  gateway = await startGatewayProcess({
    databaseUrl: databaseUrl(),
    logName: 'bad-input',
    memoryProbe: true,
    env: { GATEWAY_MAX_SESSIONS_PER_GRANT: '1000', LOG_LEVEL: 'warn' },
  });
  await gateway.ready();
  const init = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path: `/mcp/${seeded.serverId}`,
        method: 'POST',
        headers: {
          host: `localhost:${gateway.port}`,
          authorization: `Bearer ${seeded.token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
      },
      (res) => {
        res.resume();
        const id = res.headers['mcp-session-id'];
        if (typeof id === 'string') resolve(id);
        else reject(new Error(`initialize answered ${res.statusCode} without a session id`));
      },
    );
    req.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' },
        },
      }),
    );
  });
  sessionId = init;
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await gateway?.kill();
});

async function round(list: Probe[]) {
  const byKind: Record<
    string,
    { count: number; statuses: Record<string, number>; codes: Record<string, number> }
  > = {};
  const unexpected: string[] = [];
  let next = 0;
  let unexpectedCount = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < list.length) {
        const probe = list[next++]!;
        const answer = await send(probe);
        const entry = (byKind[probe.kind] ??= { count: 0, statuses: {}, codes: {} });
        entry.count += 1;
        const status =
          answer.status === -2 ? 'reset' : answer.status === -3 ? 'no answer' : String(answer.status);
        entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
        const code = /"code":(-?\d+)/.exec(answer.body)?.[1];
        if (code) entry.codes[code] = (entry.codes[code] ?? 0) + 1;
        if (!acceptable(probe, answer)) {
          unexpectedCount += 1;
          if (unexpected.length < 20)
            unexpected.push(
              `${probe.kind}: ${probe.method ?? 'POST'} ${probe.path} ${String(probe.body).slice(0, 80)} → ${status} ${answer.body.slice(0, 160)}`,
            );
        }
      }
    }),
  );
  return { byKind, unexpected, unexpectedCount, seconds: (Date.now() - started) / 1000 };
}

describe('gateway under malformed input', () => {
  it(`answers ${TOTAL}+ malformed requests with the right status, stays up, memory flat`, async () => {
    // Warm-up, so the baseline is taken after the code paths have been compiled and pools filled,
    // and after the allocator has seen a full round: parsing JSON nested 200,000 deep takes native
    // memory glibc keeps for reuse, so RSS after one round of them varied by 100 MB between runs
    // (heap flat), while four times as many left it flat. A leak grows from round to round; this
    // compares a round with the one before it.
    await round(probes(TOTAL, 1));
    const before = await gateway.memory();
    const run = await round(probes(TOTAL, 42));
    const after = await gateway.memory();
    const health = await send({ kind: 'health', method: 'GET', path: '/healthz', status: [200] });
    const requests = Object.values(run.byKind).reduce((n, k) => n + k.count, 0);
    writeResult('gateway-bad-input', {
      requests,
      concurrency: CONCURRENCY,
      seconds: +run.seconds.toFixed(1),
      perSecond: Math.round(requests / run.seconds),
      byKind: run.byKind,
      unexpected: run.unexpectedCount,
      unexpectedSamples: run.unexpected,
      crashed: gateway.child.exitCode !== null,
      healthAfter: health.status,
      memoryBefore: before,
      memoryAfter: after,
    });
    expect(run.unexpected).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(TOTAL);
    expect(gateway.child.exitCode).toBeNull();
    expect(health.status).toBe(200);
    // Flat, both measured after a full collection: a leak of even 2 KB per request would show as 20 MB of heap.
    expect(after.heapUsedMb - before.heapUsedMb).toBeLessThan(15);
    expect(after.rssMb - before.rssMb).toBeLessThan(60);
  }, 600_000);
});
