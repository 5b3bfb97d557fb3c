// The era probe (packages/upstream/src/upstream-era.ts) against real servers: the SDK v2 serving
// entry (2026-07-28 and 2025 stateless, JSON and event-stream answers), an SDK v1 stateless
// server (2025 only), and answers that are not MCP at all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer as LegacyServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { probeUpstreamEra } from '../src/upstream-era.ts';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(handle: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => void handle(req, res, body).catch(() => res.writeHead(500).end()));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

/** A fetch-shaped handler (the v2 serving entry) behind node:http. */
function viaFetch(handler: { fetch(request: Request): Promise<Response> }) {
  return async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await handler.fetch(
      new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === 'POST' ? { body } : {}),
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

const options = { allowPrivateNetworks: true, timeoutMs: 5_000 };

describe('probeUpstreamEra', () => {
  it('finds a 2026-07-28 server (JSON and event-stream answers)', async () => {
    for (const responseMode of ['auto', 'sse'] as const) {
      const url = await listen(
        viaFetch(
          createMcpHandler(() => new McpServer({ name: 'modern-fixture', version: '1.0.0' }), {
            responseMode,
          }),
        ),
      );
      const probe = await probeUpstreamEra({ transport: 'streamable_http', url }, options);
      expect(probe).toMatchObject({ era: 'modern' });
      expect(probe.versions).toContain('2026-07-28');
    }
  });

  it('finds a 2025-era server legacy (an SDK v1 stateless server answers -32601)', async () => {
    const url = await listen(async (req, res, body) => {
      const server = new LegacyServer({ name: 'legacy-fixture', version: '1.0.0' });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await server.connect(transport);
      await transport.handleRequest(req, res, JSON.parse(body));
    });
    expect(await probeUpstreamEra({ transport: 'streamable_http', url }, options)).toMatchObject({
      era: 'legacy',
      versions: [],
    });
  });

  it('counts anything that is not a 2026-07-28 answer as legacy, in its own words', async () => {
    const garbage = await listen(
      async (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    );
    expect(await probeUpstreamEra({ transport: 'streamable_http', url: garbage }, options)).toMatchObject({
      era: 'legacy',
      why: 'server/discover answer was not JSON-RPC',
    });
    const other = await listen(
      async (_req, res) =>
        void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: 'portcullis-discover',
            result: { supportedVersions: ['2099-01-01'] },
          }),
        ),
    );
    expect((await probeUpstreamEra({ transport: 'streamable_http', url: other }, options)).era).toBe(
      'legacy',
    );
    const refused = await listen(async (_req, res) => void res.writeHead(404).end());
    expect(await probeUpstreamEra({ transport: 'streamable_http', url: refused }, options)).toMatchObject({
      era: 'legacy',
      why: 'server/discover answered HTTP 404',
    });
    expect((await probeUpstreamEra({ transport: 'sse', url: refused }, options)).era).toBe('legacy');
    expect((await probeUpstreamEra({ transport: 'stdio' }, options)).era).toBe('legacy');
  });

  it('keeps the address guard: a private upstream is not probed unless allowed', async () => {
    const url = await listen(
      viaFetch(createMcpHandler(() => new McpServer({ name: 'modern-fixture', version: '1.0.0' }))),
    );
    const probe = await probeUpstreamEra(
      { transport: 'streamable_http', url },
      { ...options, allowPrivateNetworks: false },
    );
    expect(probe.era).toBe('legacy');
    expect(probe.why).toMatch(/^no answer/);
  });
});
