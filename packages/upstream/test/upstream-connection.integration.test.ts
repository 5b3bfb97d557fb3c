// UpstreamConnection against real upstreams: a node script over stdio (fixtures/scripted-server.mjs,
// raw JSON lines, logging every message it reads) and an in-process Streamable HTTP server. What the
// upstream saw is read from its log, what the caller got from the connection's promises and handlers.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectUpstreamOptions } from '../src/connect-upstream.ts';
import { DEFAULT_SANDBOX } from '../src/stdio-sandbox.ts';
import {
  UpstreamCallError,
  UpstreamConnection,
  type Params,
  type UpstreamHandlers,
} from '../src/upstream-connection.ts';

const script = fileURLToPath(new URL('./fixtures/scripted-server.mjs', import.meta.url));

const options: ConnectUpstreamOptions = {
  allowPrivateNetworks: true,
  stdio: {
    templates: [],
    freeform: { organizationId: 'o', commands: ['*'] },
    sandbox: { ...DEFAULT_SANDBOX, mode: 'off' },
  },
  timeoutMs: 10_000,
};

type Event =
  | { type: 'request'; id: unknown; method: string; params?: Params }
  | { type: 'notification'; method: string; params?: Params }
  | { type: 'close' }
  | { type: 'result'; label: string };

interface Opened {
  connection: UpstreamConnection;
  events: Event[];
  /** Every message the server read, in order. */
  seen(): Array<{ id?: unknown; method?: string; params?: Params; result?: unknown; error?: unknown }>;
}

const open: UpstreamConnection[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

async function openScripted(handlers: Partial<UpstreamHandlers> = {}): Promise<Opened> {
  const logFile = join(mkdtempSync(join(tmpdir(), 'upstream-connection-')), 'seen.log');
  const events: Event[] = [];
  const connection = await UpstreamConnection.open(
    { transport: 'stdio', organizationId: 'o', command: process.execPath, args: [script, logFile] },
    options,
    {
      onRequest: (m) => {
        events.push({
          type: 'request',
          id: m.id,
          method: m.method,
          ...(m.params ? { params: m.params } : {}),
        });
        handlers.onRequest?.(m);
      },
      onNotification: (m) => {
        events.push({ type: 'notification', method: m.method, ...(m.params ? { params: m.params } : {}) });
        handlers.onNotification?.(m);
      },
      onClose: () => {
        events.push({ type: 'close' });
        handlers.onClose?.();
      },
    },
  );
  open.push(connection);
  const seen = () =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id?: unknown; method?: string; params?: Params })
      : [];
  return { connection, events, seen };
}

async function failure(promise: Promise<unknown>): Promise<UpstreamCallError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(UpstreamCallError);
  return outcome.error as UpstreamCallError;
}

describe('UpstreamConnection over stdio', () => {
  it('initializes: the server saw initialize then notifications/initialized, and its identity is kept', async () => {
    const { connection, seen } = await openScripted();
    expect(connection.server.serverInfo).toEqual({ name: 'scripted', version: '1.0.0' });
    expect(connection.server.capabilities).toEqual({ tools: {}, experimental: { vendor: {} } });
    expect(typeof connection.pid).toBe('number');
    await expect.poll(() => seen().map((m) => m.method)).toEqual(['initialize', 'notifications/initialized']);
    expect(seen()[0]!.id).toBe(1);
  });

  it('gives each of two concurrent requests answered out of order its own result, under ids of its own', async () => {
    const { connection, seen } = await openScripted();
    const a = connection.request('test/pair', { tag: 'a' }, { timeoutMs: 5_000 });
    const b = connection.request('test/pair', { tag: 'b' }, { timeoutMs: 5_000 });
    const order: string[] = [];
    void a.then(() => order.push('a'));
    void b.then(() => order.push('b'));
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.tag).toBe('a');
    expect(rb.tag).toBe('b');
    // The server answered b first.
    expect(order).toEqual(['b', 'a']);
    const pairs = seen().filter((m) => m.method === 'test/pair');
    expect(pairs.map((m) => [m.id, m.params?.tag])).toEqual([
      [ra.sawId, 'a'],
      [rb.sawId, 'b'],
    ]);
    // The connection's own numeric ids, distinct, after initialize's 1.
    expect(typeof ra.sawId).toBe('number');
    expect(rb.sawId).toBe((ra.sawId as number) + 1);
    expect(ra.sawId).toBeGreaterThan(1);
  });

  it('sends the params as given, apart from the progress token (only swapped when progress is wanted)', async () => {
    const { connection } = await openScripted();
    const params = {
      arguments: { x: [1, { y: null }] },
      'x-vendor': true,
      _meta: { progressToken: 'caller-token', other: 'kept' },
    };
    const plain = await connection.request('test/echo', params, { timeoutMs: 5_000 });
    expect(plain.params).toEqual(params);
    const withProgress = await connection.request('test/echo', params, {
      timeoutMs: 5_000,
      onProgress: () => undefined,
    });
    expect(withProgress.params).toEqual({
      ...params,
      _meta: { progressToken: withProgress.sawId, other: 'kept' },
    });
    // The caller's object is not changed.
    expect(params._meta.progressToken).toBe('caller-token');
    const noParams = await connection.request('test/echo', undefined, { timeoutMs: 5_000 });
    expect(noParams.params).toBeNull();
  });

  it('swaps the progress token for its own and routes progress to the request it belongs to, even with the same caller token', async () => {
    const { connection, events } = await openScripted();
    const progressA: Params[] = [];
    const progressB: Params[] = [];
    const meta = { _meta: { progressToken: 'same-token' } };
    const a = connection.request(
      'test/progress-pair',
      { tag: 'a', ...meta },
      { timeoutMs: 5_000, onProgress: (p) => progressA.push(p) },
    );
    const b = connection.request(
      'test/progress-pair',
      { tag: 'b', ...meta },
      { timeoutMs: 5_000, onProgress: (p) => progressB.push(p) },
    );
    const [ra, rb] = await Promise.all([a, b]);
    // The upstream saw the connection's tokens (numbers, one per request), never the caller's.
    expect(typeof ra.sawToken).toBe('number');
    expect(typeof rb.sawToken).toBe('number');
    expect(ra.sawToken).not.toBe(rb.sawToken);
    expect(progressA).toEqual(
      [1, 2, 3].map((progress) => ({ progressToken: ra.sawToken, progress, total: 3, message: 'a' })),
    );
    expect(progressB).toEqual(
      [1, 2, 3].map((progress) => ({ progressToken: rb.sawToken, progress, total: 3, message: 'b' })),
    );
    // Routed progress is not also handed to the notification handler.
    expect(events.filter((e) => e.type === 'notification')).toEqual([]);
  });

  it('on abort after sending: the upstream gets notifications/cancelled with the id it saw, the caller a cancelled error with sent true', async () => {
    const { connection, seen } = await openScripted();
    const controller = new AbortController();
    const call = connection.request('test/never', { n: 1 }, { timeoutMs: 5_000, signal: controller.signal });
    await expect.poll(() => typeof seen().find((m) => m.method === 'test/never')?.id).toBe('number');
    const seenId = seen().find((m) => m.method === 'test/never')!.id;
    controller.abort();
    const error = await failure(call);
    expect(error.kind).toBe('cancelled');
    expect(error.sent).toBe(true);
    await expect
      .poll(() => seen().filter((m) => m.method === 'notifications/cancelled'))
      .toEqual([
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: seenId, reason: 'The client cancelled the request' },
        },
      ]);
  });

  it('on abort in the same turn as the request: still sent true, and the cancel follows the request', async () => {
    const { connection, seen } = await openScripted();
    const controller = new AbortController();
    const call = connection.request('test/never', {}, { timeoutMs: 5_000, signal: controller.signal });
    controller.abort();
    const error = await failure(call);
    expect([error.kind, error.sent]).toEqual(['cancelled', true]);
    await expect
      .poll(() =>
        seen()
          .filter((m) => m.method === 'test/never' || m.method === 'notifications/cancelled')
          .map((m) => m.method),
      )
      .toEqual(['test/never', 'notifications/cancelled']);
    const [request, cancel] = seen().filter(
      (m) => m.method === 'test/never' || m.method === 'notifications/cancelled',
    );
    expect(cancel!.params!.requestId).toBe(request!.id);
  });

  it('on a signal aborted before the request: sent false and nothing is written', async () => {
    const { connection, seen } = await openScripted();
    await expect.poll(() => seen().length).toBe(2);
    const error = await failure(
      connection.request('test/echo', { never: true }, { timeoutMs: 5_000, signal: AbortSignal.abort() }),
    );
    expect([error.kind, error.sent]).toEqual(['cancelled', false]);
    // A request after it is the next thing the server reads, and it got the next id (none was spent).
    const after = await connection.request('test/echo', { after: true }, { timeoutMs: 5_000 });
    expect(seen().slice(2)).toEqual([
      { jsonrpc: '2.0', id: after.sawId, method: 'test/echo', params: { after: true } },
    ]);
  });

  it('times out with kind timeout (sent true) and tells the upstream to cancel the id it saw', async () => {
    const { connection, seen } = await openScripted();
    const started = Date.now();
    const error = await failure(connection.request('test/never', {}, { timeoutMs: 200 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(error.kind).toBe('timeout');
    expect(error.sent).toBe(true);
    expect(error.message).toBe('Upstream server did not answer test/never within 200 ms');
    const requestId = seen().find((m) => m.method === 'test/never')!.id;
    await expect
      .poll(() => seen().find((m) => m.method === 'notifications/cancelled')?.params)
      .toEqual({ requestId, reason: 'No answer within 200 ms' });
  });

  it('resets the timeout on each progress notification of the request', async () => {
    const { connection, seen } = await openScripted();
    const ticks: unknown[] = [];
    // 8 ticks 100 ms apart: 900 ms in all, with a 300 ms timeout.
    const result = await connection.request(
      'test/tick',
      { ticks: 8, everyMs: 100, _meta: { progressToken: 't' } },
      { timeoutMs: 300, onProgress: (p) => ticks.push(p.progress) },
    );
    expect(result).toEqual({ ticks: 8 });
    expect(ticks).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen().some((m) => m.method === 'notifications/cancelled')).toBe(false);
  });

  it('fails a request with kind closed (sent true) when the process exits mid-request, then refuses new ones with sent false', async () => {
    const { connection, events } = await openScripted();
    const other = connection.request('test/never', {}, { timeoutMs: 5_000 });
    const error = await failure(connection.request('test/exit', {}, { timeoutMs: 5_000 }));
    expect([error.kind, error.sent]).toEqual(['closed', true]);
    expect(error.message).toBe('Upstream server closed the connection during test/exit');
    const otherError = await failure(other);
    expect([otherError.kind, otherError.sent]).toEqual(['closed', true]);
    expect(connection.closed).toBe(true);
    expect(events).toEqual([{ type: 'close' }]);
    const after = await failure(connection.request('test/echo', {}, { timeoutMs: 5_000 }));
    expect([after.kind, after.sent]).toEqual(['closed', false]);
  });

  it("passes an rpc error's code, message and data back unchanged", async () => {
    const { connection } = await openScripted();
    const error = await failure(connection.request('test/error', {}, { timeoutMs: 5_000 }));
    expect(error.kind).toBe('rpc');
    expect(error.sent).toBe(true);
    expect(error.code).toBe(-32042);
    expect(error.message).toBe('Custom failure: ünïcode & "quotes"');
    expect(error.data).toEqual({ nested: [1, { a: null }], why: 'because' });
  });

  it('hands notifications and server requests written before a response to the handlers, in order, before the response settles', async () => {
    const { connection, events } = await openScripted();
    const call = connection.request(
      'test/chatty',
      {},
      {
        timeoutMs: 5_000,
        onProgress: () => events.push({ type: 'notification', method: 'WRONG: routed as ours' }),
      },
    );
    await call.then(() => events.push({ type: 'result', label: 'chatty' }));
    expect(events).toEqual([
      { type: 'notification', method: 'vendor/thing', params: { n: 1 } },
      { type: 'request', id: 'srv-1', method: 'vendor/ask', params: { q: 'what' } },
      // Progress for a token that is not one of ours is a notification like any other.
      {
        type: 'notification',
        method: 'notifications/progress',
        params: { progressToken: 'not-ours', progress: 1 },
      },
      { type: 'notification', method: 'notifications/message', params: { level: 'info', data: 'hello' } },
      { type: 'result', label: 'chatty' },
    ]);
  });

  it('answers a server request with respond(), under the id the server gave it', async () => {
    const holder: { connection?: UpstreamConnection } = {};
    const opened = await openScripted({
      onRequest: (m) => void holder.connection!.respond(m.id, { result: { answer: 42, echo: m.params } }),
    });
    const connection = (holder.connection = opened.connection);
    const result = await connection.request('test/ask', { question: 'life' }, { timeoutMs: 5_000 });
    expect(result).toEqual({
      got: { jsonrpc: '2.0', id: 'srv-ask-1', result: { answer: 42, echo: { question: 'life' } } },
    });
    expect(opened.events).toEqual([
      { type: 'request', id: 'srv-ask-1', method: 'vendor/ask', params: { question: 'life' } },
    ]);
  });

  it('answers a server request with an error through respond()', async () => {
    const holder: { connection?: UpstreamConnection } = {};
    const opened = await openScripted({
      onRequest: (m) =>
        void holder.connection!.respond(m.id, {
          error: { code: -32001, message: 'declined', data: { by: 'test' } },
        }),
    });
    const connection = (holder.connection = opened.connection);
    const result = await connection.request('test/ask', { question: 'no' }, { timeoutMs: 5_000 });
    expect(result).toEqual({
      got: {
        jsonrpc: '2.0',
        id: 'srv-ask-1',
        error: { code: -32001, message: 'declined', data: { by: 'test' } },
      },
    });
  });
});

describe('UpstreamConnection over Streamable HTTP', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A JSON-answering MCP server; `onCall` answers anything but initialize (undefined: HTTP 500). */
  async function httpServer(
    onCall: (m: { id?: unknown; method: string; params?: Params }) => unknown,
  ): Promise<{ url: string; server: http.Server; received: unknown[] }> {
    const received: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (req.method !== 'POST') return void res.writeHead(405).end();
        const m = JSON.parse(body) as { id?: unknown; method: string; params?: Params };
        received.push(m);
        if (m.id === undefined) return void res.writeHead(202).end();
        const answer =
          m.method === 'initialize'
            ? {
                jsonrpc: '2.0',
                id: m.id,
                result: {
                  protocolVersion: m.params!.protocolVersion,
                  capabilities: {},
                  serverInfo: { name: 'http', version: '1' },
                },
              }
            : onCall(m);
        if (answer === undefined)
          return void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        res
          .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' })
          .end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server, received };
  }

  const noHandlers: UpstreamHandlers = {
    onRequest: () => undefined,
    onNotification: () => undefined,
    onClose: () => undefined,
  };

  it('relays a request and its result, with the connection’s id', async () => {
    const { url, received } = await httpServer((m) => ({
      jsonrpc: '2.0',
      id: m.id,
      result: { sawId: m.id, 'x-extra': { kept: true } },
    }));
    const connection = await UpstreamConnection.open(
      { transport: 'streamable_http', url },
      options,
      noHandlers,
    );
    open.push(connection);
    const result = await connection.request('vendor/echo', { a: 1 }, { timeoutMs: 5_000 });
    expect(result).toEqual({ sawId: 2, 'x-extra': { kept: true } });
    expect(received.map((m) => (m as { method: string }).method)).toEqual([
      'initialize',
      'notifications/initialized',
      'vendor/echo',
    ]);
  });

  it('rejects with kind transport and sent false when the server refuses connections', async () => {
    const { url, server } = await httpServer((m) => ({ jsonrpc: '2.0', id: m.id, result: {} }));
    const connection = await UpstreamConnection.open(
      { transport: 'streamable_http', url },
      options,
      noHandlers,
    );
    open.push(connection);
    servers.splice(servers.indexOf(server), 1);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    // Let the client see its kept-alive socket close (a request on a socket the server just reset
    // fails with ECONNRESET, which counts as sent: the server may have read it).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const error = await failure(connection.request('vendor/echo', {}, { timeoutMs: 5_000 }));
    expect(error.kind).toBe('transport');
    expect(error.sent).toBe(false);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('refuses to open against a port nobody listens on, with the transport’s own error', async () => {
    const { url, server } = await httpServer(() => undefined);
    servers.splice(servers.indexOf(server), 1);
    await new Promise((resolve) => server.close(resolve));
    const error = (await UpstreamConnection.open(
      { transport: 'streamable_http', url },
      options,
      noHandlers,
    ).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string } | undefined;
    expect(error?.code).toBe('ECONNREFUSED');
  });

  it('rejects with kind transport and sent true when the server took the request and answered HTTP 500', async () => {
    const { url } = await httpServer(() => undefined);
    const connection = await UpstreamConnection.open(
      { transport: 'streamable_http', url },
      options,
      noHandlers,
    );
    open.push(connection);
    const error = await failure(connection.request('tools/call', { name: 'x' }, { timeoutMs: 5_000 }));
    expect(error.kind).toBe('transport');
    expect(error.sent).toBe(true);
  });
});
