// A sync records which MCP era the upstream serves (issue #27; packages/upstream/src/upstream-era.ts):
// an SDK v2 server answers the 2026-07-28 server/discover, an SDK v1 stateless server does not.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer as LegacyServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase } from './helpers.ts';
import { createServer, syncServer } from '../src/modules/servers/servers.ts';

const closers: Array<() => Promise<void>> = [];
let modernUrl = '';
let legacyUrl = '';

async function listen(handle: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>) {
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => void handle(req, res, body).catch(() => res.writeHead(500).end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

beforeAll(async () => {
  // Both eras from one SDK v2 factory: 2026-07-28 requests and 2025 stateless ones (the sync's initialize).
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'modern-fixture', version: '1.0.0' });
    server.registerTool('hello', { description: 'Says hello.' }, async () => ({
      content: [{ type: 'text', text: 'hello' }],
    }));
    return server;
  });
  modernUrl = await listen(async (req, res, body) => {
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
  });
  legacyUrl = await listen(async (req, res, body) => {
    const server = new LegacyServer({ name: 'legacy-fixture', version: '1.0.0' });
    server.registerTool('hello', { description: 'Says hello.' }, async () => ({
      content: [{ type: 'text', text: 'hello' }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    await transport.handleRequest(req, res, JSON.parse(body));
  });
});

afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

beforeEach(resetDatabase);

describe('the upstream era at sync', () => {
  it('records 2026-07-28 for a modern server and the 2025 era for a legacy one', async () => {
    const { ctx } = await newOwner();
    const modern = await createServer(db, ctx, {
      name: 'modern',
      transport: 'streamable_http',
      url: modernUrl,
    });
    const legacy = await createServer(db, ctx, {
      name: 'legacy',
      transport: 'streamable_http',
      url: legacyUrl,
    });
    expect((await db.mcpServer.findUniqueOrThrow({ where: { id: modern.id } })).upstreamEra).toBeNull();
    await syncServer(db, ctx, modern.id);
    await syncServer(db, ctx, legacy.id);
    expect(await db.mcpServer.findUniqueOrThrow({ where: { id: modern.id } })).toMatchObject({
      upstreamEra: 'modern',
      upstreamVersions: expect.arrayContaining(['2026-07-28']),
    });
    expect(await db.mcpServer.findUniqueOrThrow({ where: { id: legacy.id } })).toMatchObject({
      upstreamEra: 'legacy',
      upstreamVersions: [],
    });
    // Both still sync their tools through initialize (the call path is unchanged).
    expect(await db.tool.count({ where: { serverId: modern.id, name: 'hello' } })).toBe(1);
    expect(await db.tool.count({ where: { serverId: legacy.id, name: 'hello' } })).toBe(1);
  });
});
