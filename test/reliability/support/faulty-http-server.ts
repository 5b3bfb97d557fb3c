// A Streamable HTTP MCP server, written by hand so it can break the protocol on purpose. It answers
// initialize and tools/list properly; tools/call misbehaves according to the tool's name.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const HTTP_FAULTS = {
  ok: 'Answers at once.',
  hang: 'Never answers (the socket stays open).',
  die: 'Sends half an answer, then drops the connection.',
  refuse: 'Drops the connection without answering.',
  garbage: 'Answers 200 with a body that is not JSON.',
  wrong_shape: 'Answers with a JSON-RPC result that is not a tool result.',
  error_500: 'Answers HTTP 500 with an HTML page.',
  endless: 'Opens an event stream and sends comments forever, never the result.',
  huge: 'Answers with a 64 MB text result.',
} as const;

export interface FaultyHttpServer {
  url: string;
  close(): Promise<void>;
}

export async function startFaultyHttpServer(): Promise<FaultyHttpServer> {
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const message = JSON.parse(body) as {
        id?: number | string;
        method: string;
        params?: { name?: string };
      };
      const reply = (result: unknown) => {
        const payload = JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
        res.writeHead(200, { 'content-type': 'application/json' }).end(payload);
      };
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      if (message.method === 'initialize') {
        return reply({
          protocolVersion: '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'faulty-http', version: '1.0.0' },
        });
      }
      if (message.method === 'tools/list') {
        return reply({
          tools: Object.entries(HTTP_FAULTS).map(([name, description]) => ({
            name,
            description,
            inputSchema: { type: 'object' },
          })),
        });
      }
      if (message.method !== 'tools/call') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            error: { code: -32601, message: 'Method not found' },
          }),
        );
        return;
      }
      switch (message.params?.name as keyof typeof HTTP_FAULTS) {
        case 'ok':
          return reply({ content: [{ type: 'text', text: 'ok' }] });
        case 'hang':
          return;
        case 'die':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"te`);
          setTimeout(() => res.socket?.destroy(), 10);
          return;
        case 'refuse':
          res.socket?.destroy();
          return;
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' }).end('<html>this is not JSON</html>');
          return;
        case 'wrong_shape':
          return reply({ content: 'not a list', isError: 'maybe' });
        case 'error_500':
          res
            .writeHead(500, { 'content-type': 'text/html' })
            .end('<html><body>Internal Server Error</body></html>');
          return;
        case 'endless': {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => res.write(': still thinking\n\n'), 100);
          timers.add(timer);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case 'huge': {
          // 64 MB, streamed a megabyte at a time as a real server would (building it in one string
          // first would make this server, not the gateway, the slow part).
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(
            `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"text","text":"`,
          );
          const megabyte = 'x'.repeat(1024 * 1024);
          let sent = 0;
          const pump = () => {
            while (sent < 64 && !res.destroyed) {
              sent += 1;
              if (!res.write(megabyte)) return void res.once('drain', pump);
            }
            if (!res.destroyed) res.end('"}]}}');
          };
          pump();
          return;
        }
        default:
          return reply({ content: [{ type: 'text', text: 'unknown tool' }], isError: true });
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
