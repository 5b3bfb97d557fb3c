// Server side of the Streamable HTTP transport on node:http, for one session.
//
// Why not the SDK's StreamableHTTPServerTransport: on Node it converts every request into a web
// Request and every answer back from a web Response (through @hono/node-server and web streams),
// which costs more CPU than the rest of a proxied call together. This does the same protocol
// directly: a POST with requests gets one answer stream; when the only thing sent on it is the
// final response, the answer is plain JSON written in one go, and it switches to SSE as soon as a
// notification or server→client request (progress, sampling, elicitation) belongs with the call.
// GET opens the standalone SSE stream, DELETE ends the session. No resumability (event store).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
// The envelope check the SDK's transport does with zod, by hand (it runs for every message); anything
// else the SDK would drop without an answer, leaving the POST open forever.
import { isJsonRpcMessage } from '@portcullis/upstream/json-rpc-message';

interface AnswerStream {
  res: ServerResponse;
  /** Requests of this POST still waiting for their response. */
  open: Set<RequestId>;
  /** Responses held back while the stream is still plain JSON (batches). */
  held: JSONRPCMessage[];
  sse: boolean;
  batch: boolean;
}

const KEEPALIVE_MS = 25_000;

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'id' in message && ('result' in message || 'error' in message) && !('method' in message);
}

function isRequest(message: unknown): message is { id: RequestId; method: string } {
  return typeof message === 'object' && message !== null && 'method' in message && 'id' in message;
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

export class StreamableHttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private readonly byRequest = new Map<RequestId, AnswerStream>();
  private standalone: ServerResponse | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly sessionId: string,
    /** True when resuming a session that was initialized on another replica. */
    private initialized = false,
  ) {}

  /**
   * Whether the client still holds a stream here: a POST waiting for its answer or the standalone
   * GET. A session with requests in flight and none of these has lost its client: their answers
   * would be dropped (no resumption), so nothing it does can reach anyone.
   */
  get hasOpenStream(): boolean {
    return this.byRequest.size > 0 || this.standalone !== undefined;
  }

  async start(): Promise<void> {
    this.keepalive = setInterval(() => this.standalone?.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  async handleRequest(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return this.reject(
        res,
        400,
        -32000,
        `Bad Request: Unsupported protocol version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
    }
    if (req.method === 'POST') return this.post(req, res, body);
    if (req.method === 'GET') return this.get(req, res);
    if (req.method === 'DELETE') {
      res.writeHead(200, { 'mcp-session-id': this.sessionId }).end();
      await this.close();
      return;
    }
    this.reject(res, 405, -32000, 'Method not allowed', { allow: 'GET, POST, DELETE' });
  }

  private post(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return this.reject(
        res,
        406,
        -32000,
        'Not Acceptable: Client must accept both application/json and text/event-stream',
      );
    }
    const messages = Array.isArray(body) ? body : [body];
    if (messages.length === 0 || messages.some((m) => !isJsonRpcMessage(m))) {
      return this.reject(res, 400, -32600, 'Invalid Request: expected a JSON-RPC 2.0 message or batch');
    }
    const initializing = messages.some((m) => (m as { method?: unknown }).method === 'initialize');
    if (initializing) {
      if (this.initialized)
        return this.reject(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1)
        return this.reject(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      this.initialized = true;
    } else if (!this.initialized) {
      return this.reject(res, 400, -32000, 'Bad Request: Server not initialized');
    }
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    const requests = messages.filter(isRequest);
    // An id still waiting for its answer would take over the other request's answer stream and leave one POST open forever.
    const ids = new Set(requests.map((r) => r.id));
    if (ids.size !== requests.length || requests.some((r) => this.byRequest.has(r.id))) {
      return this.reject(res, 400, -32600, 'Invalid Request: a request id is already in use in this session');
    }
    if (requests.length === 0) {
      res.writeHead(202, { 'mcp-session-id': this.sessionId }).end();
    } else {
      const stream: AnswerStream = {
        res,
        open: new Set(requests.map((r) => r.id)),
        held: [],
        sse: false,
        batch: Array.isArray(body),
      };
      for (const r of requests) this.byRequest.set(r.id, stream);
      // The client went away: forget the stream (late answers are dropped, as the SDK does).
      res.once('close', () => {
        for (const id of stream.open) if (this.byRequest.get(id) === stream) this.byRequest.delete(id);
      });
    }
    for (const message of messages) this.onmessage?.(message as JSONRPCMessage, extra);
  }

  private get(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return this.reject(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    }
    if (this.standalone)
      return this.reject(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'mcp-session-id': this.sessionId,
    });
    res.flushHeaders();
    this.standalone = res;
    res.once('close', () => {
      if (this.standalone === res) this.standalone = undefined;
    });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return;
    const requestId = isResponse(message) ? message.id : options?.relatedRequestId;
    const stream = requestId === undefined ? undefined : this.byRequest.get(requestId);
    if (!stream) {
      // Unrelated to an open POST: the standalone stream, if the client opened one.
      if (!isResponse(message)) this.standalone?.write(sseEvent(message));
      return;
    }
    if (isResponse(message)) {
      stream.open.delete(message.id);
      this.byRequest.delete(message.id);
      if (stream.sse) {
        stream.res.write(sseEvent(message));
        if (stream.open.size === 0) stream.res.end();
        return;
      }
      stream.held.push(message);
      if (stream.open.size === 0) {
        const payload = JSON.stringify(stream.batch ? stream.held : stream.held[0]);
        stream.res
          .writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            'mcp-session-id': this.sessionId,
          })
          .end(payload);
      }
      return;
    }
    if (!stream.sse) {
      stream.sse = true;
      stream.res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'mcp-session-id': this.sessionId,
      });
      for (const held of stream.held) stream.res.write(sseEvent(held));
      stream.held = [];
    }
    stream.res.write(sseEvent(message));
  }

  private reject(
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    res
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive) clearInterval(this.keepalive);
    const streams = new Set(this.byRequest.values());
    this.byRequest.clear();
    // Requests still waiting get an answer saying why (a revoked grant closes its sessions), not an
    // empty 200 the client cannot parse.
    for (const stream of streams) {
      if (stream.res.writableEnded) continue;
      const errors: JSONRPCMessage[] = [...stream.open].map((id) => ({
        jsonrpc: '2.0',
        id,
        error: {
          code: -32000,
          message:
            'The session was closed before this request was answered (the grant may have been revoked)',
        },
      }));
      if (stream.sse || stream.res.headersSent) {
        for (const error of errors) stream.res.write(sseEvent(error));
        stream.res.end();
      } else {
        const answers = [...stream.held, ...errors];
        const payload = JSON.stringify(stream.batch ? answers : answers[0]);
        stream.res
          .writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            'mcp-session-id': this.sessionId,
          })
          .end(payload);
      }
    }
    this.standalone?.end();
    this.standalone = undefined;
    this.onclose?.();
  }
}
