// The benchmark's upstream: one tool that echoes, over Streamable HTTP. Prints its URL on stdout.
// (trivial-stdio-server.mjs is the same server over stdio, for the stdio-to-HTTP proxies.)
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

function createServer(): McpServer {
  const mcp = new McpServer({ name: 'trivial', version: '1.0.0' });
  mcp.registerTool(
    'echo',
    {
      description: 'Returns its text.',
      inputSchema: { text: z.string() },
      annotations: { readOnlyHint: true },
    },
    async ({ text }) => ({
      content: [{ type: 'text', text }],
    }),
  );
  return mcp;
}

{
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const server = http.createServer(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? transports.get(id) : undefined;
    if (!transport) {
      if (typeof id === 'string') return void res.writeHead(404).end();
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void transports.set(sid, created),
      });
      created.onclose = () => created.sessionId && transports.delete(created.sessionId);
      await createServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
    console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
}
