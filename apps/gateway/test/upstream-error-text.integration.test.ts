// An agent never reads what some upstream's HTTP error body said: a legacy-SSE upstream that
// answers a call's POST with HTTP 500 and a body gets the status in the agent's error, not the body.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { connectAgent, seed, startGateway } from './harness.ts';

const SECRET = 'internal_secret_token=hunter2';

/** Just enough of the legacy HTTP+SSE server transport: initialize and tools/list work, tools/call gets a 500 with a body. */
function hostileSseServer(): http.Server {
  let stream: http.ServerResponse | undefined;
  const send = (message: unknown) => stream?.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/sse') {
      stream = res;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: endpoint\ndata: /messages?sessionId=s1\n\n');
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      const message = JSON.parse(body) as {
        id?: number;
        method: string;
        params?: { protocolVersion?: string };
      };
      if (message.method === 'tools/call')
        return res.writeHead(500, { 'content-type': 'text/plain' }).end(SECRET);
      res.writeHead(202).end();
      if (message.id === undefined) return;
      if (message.method === 'initialize') {
        send({
          jsonrpc: '2.0',
          id: message.id,
          result: {
            protocolVersion: message.params?.protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: 'leaky', version: '1' },
          },
        });
      } else if (message.method === 'tools/list') {
        send({
          jsonrpc: '2.0',
          id: message.id,
          result: { tools: [{ name: 'leak', inputSchema: { type: 'object' } }] },
        });
      } else send({ jsonrpc: '2.0', id: message.id, result: {} });
    });
  });
}

describe('upstream error text', () => {
  let upstream: http.Server;
  let gateway: Gateway;
  beforeAll(async () => {
    upstream = hostileSseServer();
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('names the status of a failed call, never the body that came with it', async () => {
    const seeded = await seed(
      { transport: 'sse', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/sse` },
      { version: '1', default: 'allow' },
    );
    const agent = await connectAgent(gateway, seeded);
    try {
      const failure = await agent.callTool({ name: 'leak', arguments: {} }).then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/HTTP 500/);
      expect(failure).not.toContain(SECRET);
    } finally {
      await agent.close();
    }
  });
});
