// Streamable HTTP on /mcp with stateful sessions (one Server per session, one shared Account),
// plus read-only GET /calls and GET /healthz. Host/Origin headers are checked against localhost
// names to block DNS rebinding.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CallLog } from './call-log.ts';
import { CATALOG_TOOLS } from './catalog.ts';
import { createTwikitServer, type TwikitServerOptions } from './server.ts';

export interface HttpServerOptions extends TwikitServerOptions {
  log: CallLog;
  host: string;
  /** 0 picks a free port; the bound one is returned. */
  port: number;
  /** Extra Host names to accept besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts?: string[];
}

export interface RunningHttpServer {
  port: number;
  url: string;
  sessionCount: () => number;
  close: () => Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

function hostnameOf(value: string): string | null {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname;
  } catch {
    return null;
  }
}

async function readJsonBody(
  req: IncomingMessage,
): Promise<{ ok: true; body: unknown } | { ok: false; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { ok: false, message: 'Request body too large' };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, message: 'Parse error: request body is not valid JSON' };
  }
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const sessions = new Map<string, Session>();
  const allowed = new Set([...LOCAL_HOSTS, ...(options.allowedHosts ?? [])]);
  if (!['0.0.0.0', '::'].includes(options.host))
    allowed.add(options.host.includes(':') ? `[${options.host}]` : options.host);

  function headersAreLocal(req: IncomingMessage, res: ServerResponse): boolean {
    const host = req.headers.host;
    const hostname = host ? hostnameOf(host) : null;
    if (!hostname || !allowed.has(hostname)) {
      rpcError(res, 403, -32000, `Invalid Host header: ${host ?? '(missing)'}`);
      return false;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const originHost = hostnameOf(origin);
      if (!originHost || !allowed.has(originHost)) {
        rpcError(res, 403, -32000, `Invalid Origin header: ${origin}`);
        return false;
      }
    }
    return true;
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const existing = sessionId ? sessions.get(sessionId) : undefined;

    if (req.method === 'POST') {
      const parsed = await readJsonBody(req);
      if (!parsed.ok) return rpcError(res, 400, -32700, parsed.message);
      if (existing) return existing.transport.handleRequest(req, res, parsed.body);
      if (sessionId) return rpcError(res, 404, -32001, 'Session not found');
      if (!isInitializeRequest(parsed.body)) {
        return rpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
      }
      const server = createTwikitServer(options);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, server });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      return transport.handleRequest(req, res, parsed.body);
    }

    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!existing)
        return rpcError(
          res,
          sessionId ? 404 : 400,
          sessionId ? -32001 : -32000,
          sessionId ? 'Session not found' : 'Bad Request: No valid session ID provided',
        );
      return existing.transport.handleRequest(req, res);
    }

    res.setHeader('allow', 'GET, POST, DELETE');
    return rpcError(res, 405, -32000, 'Method not allowed.');
  }

  const http = createServer((req, res) => {
    if (!headersAreLocal(req, res)) return;
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (pathname === '/mcp') return handleMcp(req, res);
      if (pathname === '/calls' || pathname === '/healthz') {
        if (req.method !== 'GET') {
          res.setHeader('allow', 'GET');
          return sendJson(res, 405, { error: 'Method not allowed; this endpoint is read-only.' });
        }
        if (pathname === '/calls') return sendJson(res, 200, options.log.entries());
        return sendJson(res, 200, {
          ok: true,
          server: 'twikit',
          tools: CATALOG_TOOLS.length,
          sessions: sessions.size,
        });
      }
      return sendJson(res, 404, { error: `Not found: ${pathname}` });
    };
    handle().catch((error: unknown) => {
      options.onInternalError?.('http', error);
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    port,
    url: `http://${['0.0.0.0', '::'].includes(options.host) ? 'localhost' : urlHost}:${port}/mcp`,
    sessionCount: () => sessions.size,
    close: async () => {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map(({ server }) => server.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
