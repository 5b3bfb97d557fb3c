// Client side of the Streamable HTTP transport on node:http, for upstream MCP servers.
//
// Why not the SDK's StreamableHTTPClientTransport: every answer goes through fetch, a web
// Response, a TextDecoderStream and an EventSource parser stream, which was the largest share of
// the gateway's CPU per proxied call. This speaks the same protocol directly on node:http: POST
// answered with JSON or an SSE stream, the standalone GET stream (opened after initialized,
// reconnected like the SDK does), resumption with Last-Event-ID when the server sent event ids,
// the session id and protocol version headers, DELETE to end a session. Every message's JSON-RPC
// envelope is checked (json-rpc-message.ts), in JSON answers and SSE events alike; what is inside
// is the receiver's to check (a relay passes it on untouched). No OAuth (upstream credentials
// are static headers). Redirects are followed only within the origin (307/308 for POST), as the
// SDK does; the address guard runs in every new socket's DNS lookup.
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcMessage } from './json-rpc-message.ts';
import { assertPublicUrl, guardedLookup } from './address-guard.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, UpstreamMessageTooLargeError } from './node-fetch.ts';

export interface NodeStreamableHttpOptions {
  /** Sent with every request (the server's secret headers). */
  headers?: Record<string, string>;
  allowPrivateNetworks: boolean;
  /** Largest JSON answer or single SSE event accepted; beyond it the answer is cut off and its requests fail. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Headers computed per request (trace context of the call being forwarded); never overrides the others. */
  contextHeaders?: () => Record<string, string> | undefined;
  /** The Authorization header per request (a connected account's bearer token, refreshed meanwhile); wins over `headers`. */
  authorization?: () => string | undefined;
}

interface StreamOptions {
  resumptionToken?: string;
  onresumptiontoken?: (token: string) => void;
  replayMessageId?: RequestId;
}

/** The SDK's defaults for the standalone GET stream. */
const RECONNECT = { initialMs: 1_000, maxMs: 30_000, grow: 1.5, maxRetries: 2 };
const MAX_REDIRECTS = 5;

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function isRequestMessage(
  message: JSONRPCMessage,
): message is JSONRPCMessage & { id: RequestId; method: string } {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

function isResponseMessage(message: JSONRPCMessage): boolean {
  return 'id' in message && ('result' in message || 'error' in message) && !('method' in message);
}

/** Reads a whole body as text, failing (and dropping the connection) beyond `max` bytes. */
function readBoundedText(res: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        const error = new UpstreamMessageTooLargeError(max);
        res.destroy(error);
        reject(error);
        return;
      }
      chunks.push(chunk);
    });
    res.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    res.once('error', reject);
  });
}

export class NodeStreamableHttpClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private _sessionId: string | undefined;
  private _protocolVersion: string | undefined;
  private started = false;
  private closed = false;
  private urlChecked: Promise<void> | undefined;
  private serverRetryMs: number | undefined;
  private readonly requests = new Set<http.ClientRequest>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly contextHeaders: (() => Record<string, string> | undefined) | undefined;
  private readonly base: http.RequestOptions;
  private readonly maxMessageBytes: number;

  constructor(
    private readonly url: URL,
    private readonly options: NodeStreamableHttpOptions,
  ) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`Unsupported upstream URL scheme ${url.protocol}`);
    this.agent =
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 256 })
        : new http.Agent({ keepAlive: true, maxSockets: 256 });
    this.contextHeaders = options.contextHeaders;
    this.headers = {};
    for (const [key, value] of Object.entries(options.headers ?? {})) this.headers[key.toLowerCase()] = value;
    this.base = this.requestOptions(url);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  get sessionId(): string | undefined {
    return this._sessionId;
  }

  get protocolVersion(): string | undefined {
    return this._protocolVersion;
  }

  setProtocolVersion(version: string): void {
    this._protocolVersion = version;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('Transport already started');
    this.started = true;
  }

  async send(message: JSONRPCMessage | JSONRPCMessage[], options?: TransportSendOptions): Promise<void> {
    try {
      if (options?.resumptionToken) {
        const replayMessageId = !Array.isArray(message) && isRequestMessage(message) ? message.id : undefined;
        this.openStream({
          resumptionToken: options.resumptionToken,
          ...(replayMessageId === undefined ? {} : { replayMessageId }),
        }).catch((error: Error) => this.onerror?.(error));
        return;
      }
      const res = await this.request(
        'POST',
        this.requestHeaders({
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        }),
        JSON.stringify(message),
      );
      const sessionId = res.headers['mcp-session-id'];
      if (typeof sessionId === 'string' && sessionId) this._sessionId = sessionId;
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        // The answer's body is never quoted (see upstream-errors.ts): it could be any service's.
        res.resume();
        throw new StreamableHTTPError(status, `Upstream answered HTTP ${status}`);
      }
      if (status === 202) {
        res.resume();
        if (
          !Array.isArray(message) &&
          'method' in message &&
          message.method === 'notifications/initialized'
        ) {
          this.openStream({}).catch((error: Error) => this.onerror?.(error));
        }
        return;
      }
      const messages = Array.isArray(message) ? message : [message];
      if (!messages.some(isRequestMessage)) {
        res.resume();
        return;
      }
      const type = mediaType(res.headers['content-type']);
      if (type === 'text/event-stream') {
        const requestIds = messages.filter(isRequestMessage).map((m) => m.id);
        this.readSse(
          res,
          { ...(options?.onresumptiontoken ? { onresumptiontoken: options.onresumptiontoken } : {}) },
          false,
          requestIds,
        );
        return;
      }
      if (type === 'application/json') {
        const data: unknown = JSON.parse(await readBoundedText(res, this.maxMessageBytes));
        const parsed = Array.isArray(data) ? data : [data];
        // Every message's envelope is checked before any is delivered, as the SDK's transport does.
        if (!parsed.every(isJsonRpcMessage))
          throw new Error('Upstream answered with something that is not a JSON-RPC message');
        for (const m of parsed) this.deliver(m);
        return;
      }
      res.resume();
      throw new StreamableHTTPError(-1, `Unexpected content type: ${res.headers['content-type']}`);
    } catch (error) {
      this.onerror?.(error as Error);
      throw error;
    }
  }

  /** Ends the session on the server (DELETE); 405 means the server does not support it. */
  async terminateSession(): Promise<void> {
    if (!this._sessionId) return;
    try {
      const res = await this.request('DELETE', this.requestHeaders({}));
      res.resume();
      const status = res.statusCode ?? 0;
      if ((status < 200 || status >= 300) && status !== 405)
        throw new StreamableHTTPError(status, `Failed to terminate session: ${res.statusMessage ?? status}`);
      this._sessionId = undefined;
    } catch (error) {
      this.onerror?.(error as Error);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const req of this.requests) req.destroy();
    this.requests.clear();
    this.agent.destroy();
    this.onclose?.();
  }

  /**
   * Hands a message over at once, in the order the server sent it: the gateway's relay forwards
   * each message as it comes, so whatever the server wrote before a response reaches the agent
   * before that response. (The SDK's Protocol, used by the dashboard only to list tools, settles a
   * response before a progress notification in the same chunk; nothing there waits on progress.)
   */
  private deliver(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  private requestHeaders(fixed: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...this.contextHeaders?.() };
    if (this._sessionId) headers['mcp-session-id'] = this._sessionId;
    if (this._protocolVersion) headers['mcp-protocol-version'] = this._protocolVersion;
    Object.assign(headers, this.headers, fixed);
    const authorization = this.options.authorization?.();
    if (authorization) headers.authorization = authorization;
    return headers;
  }

  private requestOptions(target: URL): http.RequestOptions {
    const options = urlToHttpOptions(target) as http.RequestOptions;
    return {
      ...options,
      agent: this.agent,
      ...(this.options.allowPrivateNetworks
        ? {}
        : { lookup: guardedLookup as unknown as http.RequestOptions['lookup'] }),
    };
  }

  /** One request, following redirects within the origin; resolves once the response headers arrive. */
  private async request(
    method: 'GET' | 'POST' | 'DELETE',
    headers: Record<string, string>,
    body?: string,
  ): Promise<http.IncomingMessage> {
    if (this.closed) throw new Error('Transport is closed');
    // IP literals never go through the socket's lookup, so they are checked here (once: the URL is fixed).
    if (!this.options.allowPrivateNetworks) await (this.urlChecked ??= assertPublicUrl(this.url));
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    let target = this.url;
    let options = this.base;
    for (let redirects = 0; ; redirects++) {
      const res = await this.once(options, method, headers, body);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      const follows =
        status >= 300 &&
        status < 400 &&
        location &&
        redirects < MAX_REDIRECTS &&
        (status === 307 || status === 308 || method === 'GET');
      if (!follows) return res;
      let next: URL;
      try {
        next = new URL(location, target);
      } catch {
        return res;
      }
      if (
        next.origin !== target.origin ||
        next.username !== target.username ||
        next.password !== target.password
      )
        return res;
      res.resume();
      target = next;
      options = this.requestOptions(next);
    }
  }

  private once(
    options: http.RequestOptions,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const mod = options.protocol === 'https:' ? https : http;
      const req = mod.request({ ...options, method, headers }, resolve);
      this.requests.add(req);
      req.once('close', () => this.requests.delete(req));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The standalone GET stream, or a resumed stream (Last-Event-ID). */
  private async openStream(options: StreamOptions): Promise<void> {
    if (this.closed) return;
    try {
      const res = await this.request(
        'GET',
        this.requestHeaders({
          accept: 'text/event-stream',
          ...(options.resumptionToken ? { 'last-event-id': options.resumptionToken } : {}),
        }),
      );
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        if (status === 405) return;
        throw new StreamableHTTPError(status, `Failed to open SSE stream: ${res.statusMessage ?? status}`);
      }
      this.readSse(res, options, true);
    } catch (error) {
      this.onerror?.(error as Error);
      throw error;
    }
  }

  private scheduleReconnect(options: StreamOptions, attempt: number): void {
    if (this.closed) return;
    if (attempt >= RECONNECT.maxRetries) {
      this.onerror?.(new Error(`Maximum reconnection attempts (${RECONNECT.maxRetries}) exceeded.`));
      return;
    }
    const delay =
      this.serverRetryMs ?? Math.min(RECONNECT.initialMs * RECONNECT.grow ** attempt, RECONNECT.maxMs);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.openStream(options).catch((error: unknown) => {
        this.onerror?.(
          new Error(
            `Failed to reconnect SSE stream: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
        this.scheduleReconnect(options, attempt + 1);
      });
    }, delay);
    this.timers.add(timer);
  }

  /**
   * Parses an SSE body (text/event-stream, any line ending) and delivers each `message` event.
   * An event larger than the message limit ends the stream: the requests it answers (`requestIds`,
   * for a POST's stream) fail at once with an error naming the limit, instead of waiting for a
   * timeout while the gateway buffers the rest.
   */
  private readSse(
    res: http.IncomingMessage,
    options: StreamOptions,
    reconnectable: boolean,
    requestIds: RequestId[] = [],
  ): void {
    let buffer = '';
    let data = '';
    let hasData = false;
    let event = '';
    let id: string | undefined;
    let lastEventId: string | undefined;
    let receivedResponse = false;
    let finished = false;

    const dispatch = () => {
      if (id) {
        lastEventId = id;
        options.onresumptiontoken?.(id);
      }
      if (hasData && data !== '' && (event === '' || event === 'message')) {
        try {
          // An event that is not a JSON-RPC message is dropped (onerror), as the SDK transport does.
          const message: unknown = JSON.parse(data);
          if (!isJsonRpcMessage(message))
            throw new Error('Upstream sent an event that is not a JSON-RPC message');
          if (isResponseMessage(message)) {
            receivedResponse = true;
            if (options.replayMessageId !== undefined)
              (message as { id: RequestId }).id = options.replayMessageId;
          }
          this.deliver(message);
        } catch (error) {
          this.onerror?.(error as Error);
        }
      }
      data = '';
      hasData = false;
      event = '';
      id = undefined;
    };
    const line = (text: string) => {
      if (text === '') return dispatch();
      if (text.charCodeAt(0) === 58 /* : comment */) return;
      const colon = text.indexOf(':');
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? '' : text.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') {
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
      } else if (field === 'event') event = value;
      else if (field === 'id') {
        if (!value.includes('\0')) id = value;
      } else if (field === 'retry' && /^\d+$/.test(value)) this.serverRetryMs = Number(value);
    };
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      if (this.closed) return;
      if (error) this.onerror?.(new Error(`SSE stream disconnected: ${error.message}`));
      // Like the SDK: a stream that may be resumed and ended before its response is picked up again.
      if ((reconnectable || lastEventId !== undefined) && !receivedResponse) {
        this.scheduleReconnect(
          { ...options, ...(lastEventId === undefined ? {} : { resumptionToken: lastEventId }) },
          0,
        );
      }
    };

    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (finished) return;
      buffer = buffer === '' ? chunk : buffer + chunk;
      // Characters of the event being read (UTF-8 text: never more than its bytes).
      if (buffer.length + data.length > this.maxMessageBytes) {
        const error = new UpstreamMessageTooLargeError(this.maxMessageBytes);
        finished = true;
        res.destroy();
        this.onerror?.(error);
        if (!receivedResponse) {
          for (const requestId of requestIds)
            this.deliver({ jsonrpc: '2.0', id: requestId, error: { code: -32603, message: error.message } });
        }
        return;
      }
      let start = 0;
      for (;;) {
        const nl = buffer.indexOf('\n', start);
        const cr = buffer.indexOf('\r', start);
        let end: number;
        let next: number;
        if (cr >= 0 && (nl < 0 || cr < nl)) {
          if (cr === buffer.length - 1) break; // may be the first half of \r\n
          end = cr;
          next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        } else if (nl >= 0) {
          end = nl;
          next = nl + 1;
        } else break;
        line(buffer.slice(start, end));
        start = next;
      }
      buffer = start === 0 ? buffer : buffer.slice(start);
    });
    res.on('error', (error) => finish(error));
    res.on('close', () => finish(res.complete ? undefined : new Error('aborted')));
  }
}
