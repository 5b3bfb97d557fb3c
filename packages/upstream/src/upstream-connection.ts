// A JSON-RPC connection to an upstream MCP server at the message level, for the gateway's relay.
//
// The SDK's Client parses every message with zod, keeps its own request handlers and progress
// callbacks, and drops what it does not model. A relay needs none of that: it sends requests on
// behalf of agents and hands back the upstream's answer as it came. This does the initialize
// handshake (the one message whose result it checks with the SDK's schema), then:
//   - request(): a request with an id of ours, so several agents can share one connection (a stdio
//     process); its progress token is swapped for ours and swapped back on the way out; an abort
//     or a timeout sends notifications/cancelled for it; the promise settles with the raw result,
//     or an UpstreamCallError saying whether the request left us (`sent`).
//   - every other message (requests from the server, notifications) goes to the owner's handlers
//     at once, in the order it arrived, so whatever the server wrote before a response reaches the
//     agent before that response.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  InitializeResultSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsResultSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Implementation,
  type JSONRPCMessage,
  type ListToolsResult,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import {
  createUpstreamTransport,
  type ConnectUpstreamOptions,
  type UpstreamSpec,
} from './connect-upstream.ts';
import { describeUpstreamError } from './upstream-errors.ts';

export type Params = Record<string, unknown>;

/** How a request to the upstream ended without a result. */
export type UpstreamCallErrorKind =
  /** The upstream answered with a JSON-RPC error (code, message and data are its own). */
  | 'rpc'
  /** No answer within the timeout (the upstream was told to cancel). */
  | 'timeout'
  /** The caller aborted (the upstream was told to cancel if the request had left). */
  | 'cancelled'
  /** The connection closed before the answer (a process that died, a server that went away). */
  | 'closed'
  /** Writing the request failed (an HTTP error answer, a refused connection). */
  | 'transport';

export class UpstreamCallError extends Error {
  constructor(
    readonly kind: UpstreamCallErrorKind,
    message: string,
    /** False only when the request certainly never reached the upstream. */
    readonly sent: boolean,
    readonly code?: number,
    readonly data?: unknown,
    /** What the transport threw (kind 'transport'). */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'UpstreamCallError';
  }
}

export interface UpstreamHandlers {
  /** A request from the server (sampling, elicitation, roots, anything else): answer with respond(). */
  onRequest(message: { id: RequestId; method: string; params?: Params }): void;
  /** A notification from the server that is not the progress of one of our requests. */
  onNotification(message: { method: string; params?: Params }): void;
  /** The connection is gone; pending requests have failed with kind 'closed'. */
  onClose(): void;
  /** A transport problem that did not close the connection (a malformed message, a dropped stream). */
  onError?(error: Error): void;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** The server's notifications/progress for this request (its params, with our token still in them). */
  onProgress?: (params: Params) => void;
}

type WriteState = 'writing' | 'written' | 'failed';

interface Pending {
  method: string;
  resolve(result: Params): void;
  reject(error: UpstreamCallError): void;
  onProgress: ((params: Params) => void) | undefined;
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  write: WriteState;
}

/** Connection errors that mean no byte of the request reached the upstream. */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPRIVATE',
]);

/**
 * Whether a failed write certainly never reached the upstream. An HTTP send fails also after the
 * server took the request (an HTTP 500, a reset connection, a bad answer): that counts as sent.
 */
export function neverLeft(error: unknown): boolean {
  const { code, cause, message, name } = (error ?? {}) as {
    code?: unknown;
    cause?: { code?: unknown };
    message?: unknown;
    name?: unknown;
  };
  if (name === 'PrivateAddressError') return true;
  if (message === 'Not connected' || message === 'Transport is closed') return true;
  const socketCode = typeof code === 'string' ? code : cause?.code;
  return typeof socketCode === 'string' && NOT_CONNECTED_CODES.has(socketCode);
}

export interface InitializeOutcome {
  protocolVersion: string;
  capabilities: ServerCapabilities;
  serverInfo: Implementation;
  instructions: string | undefined;
}

export class UpstreamConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedFlag = false;
  private handlers: UpstreamHandlers | undefined;
  private initialized: InitializeOutcome | undefined;

  private constructor(readonly transport: Transport) {
    transport.onmessage = (message) => this.receive(message);
    transport.onclose = () => this.onTransportClose();
    transport.onerror = (error) => this.handlers?.onError?.(error);
  }

  /** Connects, initializes and starts relaying; throws with a sentence naming the problem when it cannot. */
  static async open(
    spec: UpstreamSpec,
    options: ConnectUpstreamOptions,
    handlers: UpstreamHandlers,
  ): Promise<UpstreamConnection> {
    const connection = new UpstreamConnection(createUpstreamTransport(spec, options));
    try {
      await connection.transport.start();
      const answer = await connection.request(
        'initialize',
        {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: options.clientCapabilities ?? {},
          clientInfo: options.clientInfo ?? { name: 'portcullis-gateway', version: '0.1.0' },
        },
        { timeoutMs: options.timeoutMs },
      );
      const parsed = InitializeResultSchema.safeParse(answer);
      if (!parsed.success) throw new Error('The upstream server answered initialize with an invalid result');
      if (!SUPPORTED_PROTOCOL_VERSIONS.includes(parsed.data.protocolVersion)) {
        throw new Error(`Server's protocol version is not supported: ${parsed.data.protocolVersion}`);
      }
      connection.initialized = {
        protocolVersion: parsed.data.protocolVersion,
        capabilities: parsed.data.capabilities,
        serverInfo: parsed.data.serverInfo,
        instructions: parsed.data.instructions,
      };
      (connection.transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion?.(
        parsed.data.protocolVersion,
      );
      // Handlers from here on: nothing of the server's reaches the gateway before initialize completed.
      connection.handlers = handlers;
      await connection.notify('notifications/initialized');
      return connection;
    } catch (error) {
      await connection.close().catch(() => undefined);
      if (error instanceof UpstreamCallError && error.kind === 'rpc')
        throw new Error(`The upstream server refused initialize: ${error.message}`, { cause: error });
      // The transport's own error, so the caller can describe it (an address the guard refused, a refused connection).
      throw error instanceof UpstreamCallError && error.kind === 'transport' ? error.cause : error;
    }
  }

  get server(): InitializeOutcome {
    if (!this.initialized) throw new Error('upstream not initialized');
    return this.initialized;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** The stdio server's process id, when it is one. */
  get pid(): number | undefined {
    const pid = (this.transport as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  }

  /** Sends a request and settles with the upstream's raw result; see UpstreamCallError for the rest. */
  request(method: string, params: Params | undefined, options: RequestOptions): Promise<Params> {
    return new Promise<Params>((resolve, reject) => {
      if (this.closedFlag) return reject(new UpstreamCallError('closed', 'Not connected', false));
      const signal = options.signal;
      if (signal?.aborted)
        return reject(new UpstreamCallError('cancelled', 'cancelled before it was sent', false));
      const id = this.nextId++;
      let outgoing = params;
      // A progress token is the agent's: several agents may pick the same one on a shared
      // connection, so the upstream gets ours (the request id) and progress is routed by it.
      const meta = params?._meta as Params | undefined;
      if (options.onProgress && meta && meta.progressToken !== undefined)
        outgoing = { ...params, _meta: { ...meta, progressToken: id } };
      const onAbort = () => {
        const entry = this.pending.get(id);
        if (!entry) return;
        this.settle(id, entry);
        if (entry.write !== 'failed')
          void this.notify('notifications/cancelled', {
            requestId: id,
            reason: 'The client cancelled the request',
          }).catch(() => undefined);
        entry.reject(
          new UpstreamCallError('cancelled', `The client cancelled ${method}`, entry.write !== 'failed'),
        );
      };
      const entry: Pending = {
        method,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        onProgress: options.onProgress,
        timeoutMs: options.timeoutMs,
        timer: undefined,
        write: 'writing',
      };
      this.pending.set(id, entry);
      this.arm(id, entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      const message = (
        outgoing === undefined
          ? { jsonrpc: '2.0', id, method }
          : { jsonrpc: '2.0', id, method, params: outgoing }
      ) as JSONRPCMessage;
      this.transport.send(message).then(
        () => {
          if (entry.write === 'writing') entry.write = 'written';
        },
        (error: unknown) => {
          const left = !neverLeft(error);
          entry.write = left ? 'written' : 'failed';
          if (this.pending.get(id) !== entry) return;
          this.settle(id, entry);
          entry.reject(
            new UpstreamCallError(
              'transport',
              describeUpstreamError(error),
              left,
              undefined,
              undefined,
              error,
            ),
          );
        },
      );
    });
  }

  /** Answers a request the server sent (its id, as it sent it). */
  async respond(
    id: RequestId,
    outcome: { result: Params } | { error: { code: number; message: string; data?: unknown } },
  ): Promise<void> {
    if (this.closedFlag) return;
    await this.transport.send({ jsonrpc: '2.0', id, ...outcome } as JSONRPCMessage);
  }

  async notify(method: string, params?: Params): Promise<void> {
    if (this.closedFlag) return;
    await this.transport.send(
      (params === undefined
        ? { jsonrpc: '2.0', method }
        : { jsonrpc: '2.0', method, params }) as JSONRPCMessage,
    );
  }

  /** tools/list, checked with the SDK's schema (for the catalog; the relay passes lists on as they come). */
  async listTools(
    params: { cursor?: string } | undefined,
    options: { timeout: number },
  ): Promise<ListToolsResult> {
    try {
      return ListToolsResultSchema.parse(
        await this.request('tools/list', params, { timeoutMs: options.timeout }),
      );
    } catch (error) {
      if (error instanceof UpstreamCallError) throw error;
      throw new Error('The upstream server sent an invalid tools/list result', { cause: error });
    }
  }

  getServerVersion(): Implementation | undefined {
    return this.initialized?.serverInfo;
  }

  getServerCapabilities(): ServerCapabilities | undefined {
    return this.initialized?.capabilities;
  }

  /** resources/list (for the catalog's resource URIs). */
  async listResources(
    params: { cursor?: string } | undefined,
    options: { timeout: number },
  ): Promise<{ resources: { uri: string }[]; nextCursor?: string | undefined }> {
    const result = await this.request('resources/list', params, { timeoutMs: options.timeout });
    const resources = Array.isArray(result.resources) ? (result.resources as { uri?: unknown }[]) : [];
    return {
      resources: resources.filter((r) => typeof r?.uri === 'string') as { uri: string }[],
      nextCursor: typeof result.nextCursor === 'string' ? result.nextCursor : undefined,
    };
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    await this.transport.close();
    // A transport that does not report its own close still ends the connection.
    this.onTransportClose();
  }

  private arm(id: number, entry: Pending): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (this.pending.get(id) !== entry) return;
      this.settle(id, entry);
      void this.notify('notifications/cancelled', {
        requestId: id,
        reason: `No answer within ${entry.timeoutMs} ms`,
      }).catch(() => undefined);
      entry.reject(
        new UpstreamCallError(
          'timeout',
          `Upstream server did not answer ${entry.method} within ${entry.timeoutMs} ms`,
          entry.write !== 'failed',
        ),
      );
    }, entry.timeoutMs);
  }

  private settle(id: number, entry: Pending): void {
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    // A transport that tracks what is owed an answer (stdio) stops tracking it.
    (this.transport as { forget?: (id: RequestId) => void }).forget?.(id);
  }

  private receive(message: JSONRPCMessage): void {
    const m = message as {
      id?: RequestId;
      method?: string;
      params?: Params;
      result?: Params;
      error?: { code: number; message: string; data?: unknown };
    };
    if (m.method === undefined) {
      const entry = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
      if (!entry) return; // An answer to nothing we asked (or asked and gave up on): dropped.
      this.settle(m.id as number, entry);
      if (m.error)
        entry.reject(new UpstreamCallError('rpc', m.error.message, true, m.error.code, m.error.data));
      else entry.resolve(m.result ?? {});
      return;
    }
    if (m.id !== undefined) {
      this.handlers?.onRequest(m as { id: RequestId; method: string; params?: Params });
      return;
    }
    if (m.method === 'notifications/progress') {
      const token = m.params?.progressToken;
      const entry = typeof token === 'number' ? this.pending.get(token) : undefined;
      if (entry?.onProgress) {
        this.arm(token as number, entry);
        entry.onProgress(m.params!);
        return;
      }
    }
    this.handlers?.onNotification(m as { method: string; params?: Params });
  }

  private onTransportClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const pending = [...this.pending];
    this.pending.clear();
    for (const [, entry] of pending) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(
        new UpstreamCallError(
          'closed',
          `Upstream server closed the connection during ${entry.method}`,
          entry.write !== 'failed',
        ),
      );
    }
    this.handlers?.onClose();
  }
}
