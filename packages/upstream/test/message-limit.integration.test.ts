// One upstream message larger than the limit fails the request at once with an error naming the
// limit, over each transport: a JSON answer, an SSE event, a stdio line. Answers under the limit pass.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUpstream } from '../src/connect-upstream.ts';
import { createNodeFetch } from '../src/node-fetch.ts';
import { DEFAULT_SANDBOX } from '../src/stdio-sandbox.ts';
import { NodeStreamableHttpClientTransport } from '../src/streamable-http-client.ts';

const LIMIT = 256 * 1024;

describe('upstream message size limit', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const respond = (size: number) =>
          JSON.stringify({ jsonrpc: '2.0', id: 1, result: { pad: 'x'.repeat(size) } });
        if (req.url === '/json-small')
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(respond(LIMIT / 2));
        if (req.url === '/json-huge')
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(respond(LIMIT * 8));
        if (req.url === '/sse-huge') {
          // One event that never ends: the data line keeps coming.
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"jsonrpc":"2.0","id":1,"result":{"pad":"');
          const chunk = 'y'.repeat(64 * 1024);
          const timer = setInterval(() => res.write(chunk), 1);
          res.on('close', () => clearInterval(timer));
          return;
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function transport(path: string) {
    const t = new NodeStreamableHttpClientTransport(new URL(base + path), {
      allowPrivateNetworks: true,
      maxMessageBytes: LIMIT,
    });
    const received: JSONRPCMessage[] = [];
    t.onmessage = (m) => received.push(m);
    return { t, received };
  }
  const ping: JSONRPCMessage = { jsonrpc: '2.0', id: 1, method: 'ping' };

  it('accepts a JSON answer under the limit', async () => {
    const { t, received } = transport('/json-small');
    await t.start();
    await t.send(ping);
    expect(received).toHaveLength(1);
    await t.close();
  });

  it('refuses a JSON answer over the limit', async () => {
    const { t, received } = transport('/json-huge');
    await t.start();
    await expect(t.send(ping)).rejects.toThrow(
      `Upstream answer is larger than ${LIMIT} bytes (GATEWAY_MAX_UPSTREAM_MESSAGE_BYTES)`,
    );
    expect(received).toEqual([]);
    await t.close();
  });

  it('answers the request with an error when one SSE event passes the limit', async () => {
    const { t, received } = transport('/sse-huge');
    const errors: Error[] = [];
    t.onerror = (e) => errors.push(e);
    await t.start();
    const started = Date.now();
    await t.send(ping);
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(received[0]).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32603, message: expect.stringContaining(`larger than ${LIMIT} bytes`) },
    });
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringContaining('larger than'));
    await t.close();
  });

  it("cuts off an event stream read through the legacy SSE transport's fetch", async () => {
    const fetch = createNodeFetch({ allowPrivateNetworks: true, maxMessageBytes: LIMIT });
    const small = await fetch(`${base}/json-small`, { method: 'POST', body: '{}' });
    expect((await small.text()).length).toBeGreaterThan(LIMIT / 2);
    const huge = await fetch(`${base}/sse-huge`, { method: 'POST', body: '{}' });
    await expect(huge.text()).rejects.toThrow();
  });

  it('stops a stdio server that writes a line over the limit, failing its pending request', async () => {
    // Answers initialize with one endless line.
    const script = `process.stdin.once('data', () => { process.stdout.write('{"jsonrpc":"2.0","id":0,"result":"'); setInterval(() => process.stdout.write('z'.repeat(65536)), 1); });`;
    const started = Date.now();
    await expect(
      connectUpstream(
        { transport: 'stdio', organizationId: 'o', command: process.execPath, args: ['-e', script] },
        {
          allowPrivateNetworks: true,
          stdio: {
            templates: [],
            freeform: { organizationId: 'o', commands: ['*'] },
            sandbox: { ...DEFAULT_SANDBOX, mode: 'off' },
          },
          timeoutMs: 20_000,
          maxMessageBytes: LIMIT,
        },
      ),
    ).rejects.toThrow(`larger than ${LIMIT} bytes`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
