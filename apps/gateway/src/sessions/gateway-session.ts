// One agent session, relayed at the message level. The agent's transport hands every JSON-RPC
// message here; the gateway answers initialize and ping itself, polices what it must (tools/list,
// tools/call, resources/*, prompts/*, completion/complete, logging/setLevel) and passes every other
// request and notification to the upstream verbatim: unknown methods, unknown fields, _meta, icons,
// outputSchema, annotations, tasks. Requests from the upstream (sampling, elicitation, roots, or
// anything else) reach the agent with an id of this session's and their answers go back verbatim.
// Nothing here parses a message beyond its envelope and the parameters a policy decision reads.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolRequest,
  type CallToolResult,
  type ClientCapabilities,
  type Implementation,
  type JSONRPCMessage,
  type ListToolsResult,
  type LoggingLevel,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Params, UpstreamConnection } from '@portcullis/upstream/upstream-connection';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import { featureAllowed, type FeatureSession } from '../calls/handle-feature-request.ts';
import type { ToolCallSession } from '../calls/handle-tool-call.ts';
import { filterListedTools } from '../calls/list-tools.ts';
import type { GatewayServices } from '../services.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import type { AgentExtra, AgentNotification } from '../agent-request.ts';
import { JsonRpcError, toErrorBody, UpstreamFailure } from '../errors.ts';
import { AgentRequests, type AgentResponse } from './agent-requests.ts';
import { dispatch, type DispatchTarget } from './dispatch.ts';
import { forwardRequest } from './forward-request.ts';
import { atLeast } from './log-level.ts';
import type { SessionSink, UpstreamLink } from './upstream-pool.ts';
import { NeedsConnectionError } from '../errors.ts';
import { catalogListing, disconnectedLink } from './disconnected-link.ts';
import { toolNaming } from '../calls/tool-naming.ts';
import type { ServerState } from '../state/server-state.ts';
import type { ToolsetMemberView } from '@portcullis/policy/toolset';

export interface SessionHooks {
  /** The upstream lists a definition that differs from the catalog: re-sync it. */
  onDefinitionDrift(serverId: string, connection: UpstreamConnection): void;
  /** A session connected: make sure the catalog has been synced from this upstream recently. */
  ensureCatalog(serverId: string, connection: UpstreamConnection): Promise<void>;
}

/** One member of a toolset session: the toolset, and the member as the toolset is now (read live). */
export interface ToolsetBinding {
  toolsetId: string;
  readonly member: ToolsetMemberView;
  /** Whether the toolset session serves stateless (2026-07-28) requests (its members always have a router). */
  readonly stateless: boolean;
}

/** A grant as one server's session serves it: a server grant's, or one member of a toolset grant's. */
export type ServerGrantContext = GrantContext & { serverId: string; toolset?: ToolsetBinding | undefined };

export interface OpenSessionOptions {
  id: string;
  grant: ServerGrantContext;
  clientCapabilities: ClientCapabilities;
  /** Resumed on this replica: initialize happened on another, with this client info. */
  resumed?: { clientInfo: Implementation | undefined; protocolVersion: string | undefined } | undefined;
}

/** Requests one session may have in flight at once (each holds memory and, relayed, an upstream slot). */
const MAX_INFLIGHT_PER_SESSION = 64;

/** The capability an agent must have declared for each server→client request the spec defines. */
const CLIENT_CAPABILITY_FOR: Record<string, keyof ClientCapabilities> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

type ResultBody = Record<string, unknown>;

/** The in-flight entry of a request a toolset session serves here (it aborts its own requests). */
const WITHIN = new AbortController();

/** Where a session without an agent transport (modern, stateless requests) sends the upstream's requests. */
export type AgentRequestRouter = (
  method: string,
  params: Params | undefined,
  signal: AbortSignal,
) => Promise<Params>;

export class GatewaySession implements SessionSink {
  readonly id: string;
  /**
   * Set on a session that serves stateless (MCP 2026-07-28) requests instead of an agent transport:
   * the upstream's sampling, elicitation and roots requests go here (modern/ turns them into
   * input-required results) rather than to a transport.
   */
  agentRequests: AgentRequestRouter | undefined;
  /** Likewise the upstream's notifications (progress and logs of a request, list changes). */
  agentNotifications: ((notification: AgentNotification) => void) | undefined;
  private nextServedId = 0;
  readonly grant: ServerGrantContext;
  lastSeenAt = Date.now();
  closed = false;
  private transport: Transport | undefined;
  private link: UpstreamLink;
  private reconnecting: Promise<UpstreamLink> | undefined;
  /** Agent requests being handled, by the agent's id; aborting one cancels it upstream. */
  private readonly inflight = new Map<RequestId, AbortController>();
  /** Requests sent to the agent on the upstream's behalf. */
  private readonly outgoing = new AgentRequests((message, related) => this.send(message, related));
  private readonly subscriptions = new Set<string>();
  private forwarding = 0;
  /** The level this agent asked for with logging/setLevel; messages below it are not sent to it. */
  private logLevel: LoggingLevel | undefined;
  private clientCapabilities: ClientCapabilities;
  private clientInfo: Implementation | undefined;
  /** The protocol version agreed in initialize (recorded with every audited request). */
  private protocolVersion: string | undefined;
  private initialized: boolean;
  private readonly capabilities: ServerCapabilities;
  private readonly featureSession: FeatureSession;
  private readonly toolSession: ToolCallSession;
  private readonly dispatchTarget: DispatchTarget;

  private constructor(
    private readonly services: GatewayServices,
    private readonly hooks: SessionHooks,
    options: OpenSessionOptions,
    link: UpstreamLink,
  ) {
    this.id = options.id;
    this.grant = options.grant;
    this.link = link;
    this.clientCapabilities = options.clientCapabilities;
    this.clientInfo = options.resumed?.clientInfo;
    this.protocolVersion = options.resumed?.protocolVersion;
    this.initialized = options.resumed !== undefined;
    const upstream = link.server.capabilities;
    // The upstream's capabilities as it announced them (experimental and newer ones included),
    // except that the gateway announces tools/list_changed itself: policy and catalog changes alter
    // what this agent may see.
    // Tasks are not relayed (their results and cancellation would bypass policy and audit, and on a
    // shared process every agent's tasks would be one list): the capability is not announced.
    const { tasks: _tasks, ...offered } = upstream as ServerCapabilities & { tasks?: unknown };
    this.capabilities = offered.tools
      ? { ...offered, tools: { ...offered.tools, listChanged: true } }
      : { ...offered };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters read what initialize (or the modern layer) sets later
    const session = this;
    // Who is calling, as calls/ records it: read live, since the version is agreed after this.
    const identity = () => ({
      id: this.id,
      grantId: this.grant.grantId,
      organizationId: this.grant.organizationId,
      serverId: this.grant.serverId,
      toolsetId: this.grant.toolset?.toolsetId ?? null,
      get protocolVersion() {
        return session.protocolVersion;
      },
      get waitsInLegs() {
        const toolset = session.grant.toolset;
        return toolset ? toolset.stateless : session.agentRequests !== undefined;
      },
      get closed() {
        return session.closed;
      },
      get urlElicitation() {
        const elicitation = session.clientCapabilities.elicitation as { url?: unknown } | undefined;
        return elicitation?.url !== undefined;
      },
    });
    this.featureSession = Object.assign(identity(), {
      forward: (method: string, params: Params, extra: AgentExtra) => this.forward(method, params, extra),
    });
    this.toolSession = Object.assign(identity(), {
      naming: (state: ServerState) => toolNaming(state, session.grant.toolset?.member),
      forwardToolCall: async (request: CallToolRequest, extra: AgentExtra): Promise<CallToolResult> => {
        const result = await this.forward('tools/call', request.params as Params, extra);
        // The one check of a tool result: a malformed one is recorded as an upstream error, not a tool error.
        if (!isToolResult(result))
          throw new UpstreamFailure(
            'invalid',
            ErrorCode.InternalError,
            'Upstream server sent an invalid tools/call result',
          );
        return result as CallToolResult;
      },
    });
    this.dispatchTarget = {
      services: this.services,
      capabilities: this.capabilities,
      toolSession: this.toolSession,
      featureSession: this.featureSession,
      get shared() {
        return session.link.shared;
      },
      initialize: (params) => this.initialize(params),
      listTools: (params, extra) => this.listTools(params, extra),
      forward: (method, params, extra) => this.forward(method, params, extra),
      subscribed: (uri, on) => {
        if (on) this.subscriptions.add(uri);
        else this.subscriptions.delete(uri);
      },
      subscribedElsewhere: (uri) => this.link.subscribedElsewhere(uri),
      setLogLevel: (level) => (this.logLevel = level),
    };
  }

  /** Connects the upstream (or joins the shared one) and makes sure the catalog is fresh. */
  static async open(
    services: GatewayServices,
    hooks: SessionHooks,
    options: OpenSessionOptions,
  ): Promise<GatewaySession> {
    const state = await services.servers.get(options.grant.serverId);
    if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
    // The sink is filled in once the session exists; the upstream sends nothing to us before initialize completes.
    const ref: { session?: GatewaySession } = {};
    const sink: SessionSink = {
      id: options.id,
      actingUserId: options.grant.actingUserId,
      get inflightCount() {
        return ref.session?.inflightCount ?? 0;
      },
      get forwardingCount() {
        return ref.session?.forwardingCount ?? 0;
      },
      sendRequest: (method, params, signal) =>
        ref.session
          ? ref.session.sendRequest(method, params, signal)
          : Promise.reject(new JsonRpcError(ErrorCode.InternalError, 'session not ready')),
      sendNotification: (notification) => ref.session?.sendNotification(notification),
      isSubscribed: (uri) => ref.session?.isSubscribed(uri) ?? false,
    };
    let link: UpstreamLink;
    try {
      link = await services.upstreams.connect(state, sink, options.clientCapabilities);
    } catch (error) {
      // A server behind sign-in with no usable account yet: the session opens (tools are listed
      // from the catalog) and each call is answered with where to connect (needs_connection).
      if (!(error instanceof NeedsConnectionError)) throw error;
      link = disconnectedLink(state);
    }
    try {
      if (link.alive) await hooks.ensureCatalog(options.grant.serverId, link.connection);
    } catch (error) {
      await link.release().catch(() => undefined);
      throw error;
    }
    ref.session = new GatewaySession(services, hooks, options, link);
    return ref.session;
  }

  /** Starts relaying over the agent's transport. */
  async attach(transport: Transport): Promise<void> {
    this.transport = transport;
    const onclose = transport.onclose;
    transport.onclose = () => {
      onclose?.();
      void this.close();
    };
    transport.onmessage = (message) => this.receive(message);
    await transport.start();
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  servesServer(serverId: string): boolean {
    return this.grant.serverId === serverId;
  }

  servesToolset(_toolsetId: string): boolean {
    return false;
  }

  get actingUserId(): string | null {
    return this.grant.actingUserId;
  }

  /** Requests forwarded to the upstream and not answered yet (server→client routing on a shared process). */
  get forwardingCount(): number {
    return this.forwarding;
  }

  isSubscribed(uri: string): boolean {
    return this.subscriptions.has(uri);
  }

  /** The agent request a server→client message belongs with: the only one in flight, if there is one. */
  private relatedRequestId(): RequestId | undefined {
    if (this.inflight.size !== 1) return undefined;
    return this.inflight.keys().next().value;
  }

  private send(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    if (this.closed || !this.transport) return;
    this.transport
      .send(message, relatedRequestId === undefined ? undefined : { relatedRequestId })
      .catch((error: unknown) => {
        this.services.log.debug({ err: error, sessionId: this.id }, 'message to agent dropped');
      });
  }

  // ---- agent → gateway

  private receive(message: JSONRPCMessage): void {
    this.lastSeenAt = Date.now();
    const m = message as {
      id?: RequestId;
      method?: string;
      params?: Params;
      result?: Params;
      error?: { code: number; message: string; data?: unknown };
    };
    if (m.method === undefined) return this.receiveResponse(m);
    if (m.id === undefined) return this.receiveNotification(m.method, m.params);
    this.receiveRequest(m.id, m.method, m.params);
  }

  private receiveResponse(m: AgentResponse): void {
    this.outgoing.settle(m);
  }

  private receiveNotification(method: string, params: Params | undefined): void {
    switch (method) {
      case 'notifications/initialized':
        return; // The upstream was initialized by the gateway.
      case 'notifications/cancelled': {
        const requestId = params?.requestId as RequestId | undefined;
        if (requestId !== undefined) this.inflight.get(requestId)?.abort();
        return;
      }
      case 'notifications/roots/list_changed':
        break;
      default:
        // A shared (stdio) process serves other agents too: only what concerns them all reaches it.
        // On an upstream of its own, the agent's other notifications (its progress on a server
        // request, whatever a newer spec adds) pass verbatim.
        if (this.link.shared || !method.startsWith('notifications/')) return;
    }
    void this.upstream()
      .then((connection) => connection.notify(method, params))
      .catch(() => undefined);
  }

  private receiveRequest(id: RequestId, method: string, params: Params | undefined): void {
    if (this.inflight.has(id)) {
      this.send({
        jsonrpc: '2.0',
        id,
        error: {
          code: ErrorCode.InvalidRequest,
          message: 'Invalid Request: a request id is already in use in this session',
        },
      });
      return;
    }
    if (this.inflight.size >= MAX_INFLIGHT_PER_SESSION) {
      this.send({
        jsonrpc: '2.0',
        id,
        error: {
          code: -32000,
          message: `Too many requests in flight in this session (at most ${MAX_INFLIGHT_PER_SESSION}); retry when some have finished`,
        },
      });
      return;
    }
    const controller = new AbortController();
    this.inflight.set(id, controller);
    const extra: AgentExtra = {
      requestId: id,
      signal: controller.signal,
      _meta: params?._meta as AgentExtra['_meta'],
      sendNotification: async (notification) =>
        this.send({ jsonrpc: '2.0', ...notification } as JSONRPCMessage, id),
    };
    let work: Promise<ResultBody>;
    try {
      work = dispatch(this.dispatchTarget, method, params ?? {}, extra);
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      (result) => {
        this.inflight.delete(id);
        // A cancelled request is not answered (MCP: the receiver should not respond).
        if (!controller.signal.aborted) this.send({ jsonrpc: '2.0', id, result } as JSONRPCMessage);
      },
      (error: unknown) => {
        this.inflight.delete(id);
        if (controller.signal.aborted) return;
        if (!(error instanceof JsonRpcError))
          this.services.log.error({ err: error, sessionId: this.id, method }, 'request failed');
        this.send({ jsonrpc: '2.0', id, error: toErrorBody(error) } as JSONRPCMessage);
      },
    );
  }

  /**
   * One request of a session without an agent transport (modern, stateless requests): policed by the
   * same dispatch as an agent session's, counted in flight while it runs. The caller's extra carries
   * its own abort signal; the request id in it is the agent's, used for audit only.
   */
  serve(method: string, params: Params, extra: AgentExtra): Promise<ResultBody> {
    this.lastSeenAt = Date.now();
    const key = `served:${this.nextServedId++}`;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    if (extra.signal.aborted) controller.abort();
    else extra.signal.addEventListener('abort', onAbort, { once: true });
    this.inflight.set(key, controller);
    let work: Promise<ResultBody>;
    try {
      work = dispatch(this.dispatchTarget, method, params, { ...extra, signal: controller.signal });
    } catch (error) {
      work = Promise.reject(error);
    }
    return work.finally(() => {
      this.inflight.delete(key);
      extra.signal.removeEventListener('abort', onAbort);
      this.lastSeenAt = Date.now();
    });
  }

  /**
   * One request from a toolset session (sessions/toolset-session.ts), whose own request state
   * already follows the agent's cancellation: policed by the same dispatch, counted in flight,
   * without a second abort controller.
   */
  serveWithin(method: string, params: Params, extra: AgentExtra): Promise<ResultBody> {
    this.lastSeenAt = Date.now();
    const key = `served:${this.nextServedId++}`;
    this.inflight.set(key, WITHIN);
    let work: Promise<ResultBody>;
    try {
      work = dispatch(this.dispatchTarget, method, params, extra);
    } catch (error) {
      work = Promise.reject(error);
    }
    return work.finally(() => {
      this.inflight.delete(key);
    });
  }

  /** The server as this grant's agents see it: the upstream's identity and instructions, the gateway's capabilities. */
  describe(): { serverInfo: Implementation; capabilities: ServerCapabilities; instructions?: string } {
    const server = this.link.server;
    return {
      serverInfo: server.serverInfo,
      capabilities: this.capabilities,
      ...(server.instructions ? { instructions: server.instructions } : {}),
    };
  }

  private initialize(params: Params): ResultBody {
    this.initialized = true;
    if (params.capabilities && typeof params.capabilities === 'object')
      this.clientCapabilities = params.capabilities as ClientCapabilities;
    if (params.clientInfo && typeof params.clientInfo === 'object')
      this.clientInfo = params.clientInfo as Implementation;
    const requested = params.protocolVersion;
    const server = this.link.server;
    this.protocolVersion =
      typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LATEST_PROTOCOL_VERSION;
    return {
      protocolVersion: this.protocolVersion,
      capabilities: this.capabilities,
      serverInfo: server.serverInfo,
      ...(server.instructions ? { instructions: server.instructions } : {}),
    };
  }

  private async listTools(params: Params, extra: AgentExtra): Promise<ResultBody> {
    let upstream: ResultBody;
    try {
      upstream = await this.forward('tools/list', params, extra);
    } catch (error) {
      // No connected account yet: the catalog's tools, as this grant may see them (calls then say where to connect).
      if (!(error instanceof NeedsConnectionError)) throw error;
      const state = await this.services.servers.get(this.grant.serverId);
      if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
      return this.named(state, await catalogListing(this.services, state));
    }
    if (!Array.isArray(upstream.tools))
      throw new UpstreamFailure(
        'invalid',
        ErrorCode.InternalError,
        'Upstream server sent an invalid tools/list result',
      );
    const state = await this.services.servers.get(this.grant.serverId);
    if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
    const { result, definitionDrift } = filterListedTools(state, upstream as ListToolsResult);
    if (definitionDrift && this.link.alive)
      this.hooks.onDefinitionDrift(this.grant.serverId, this.link.connection);
    return this.named(state, result);
  }

  /** A tools/list result as agents see it: tool overrides, a toolset's prefix, subset and overrides. */
  private named(state: ServerState, result: ListToolsResult): ResultBody {
    const naming = toolNaming(state, this.grant.toolset?.member);
    if (!naming) return result as ResultBody;
    return {
      ...result,
      tools: result.tools.filter((tool) => naming.included(tool.name)).map((tool) => naming.present(tool)),
    } as ResultBody;
  }

  // ---- upstream → agent

  /** A request from the upstream to this agent; settles with the agent's answer (or its error, as a JsonRpcError). */
  sendRequest(method: string, params: Params | undefined, signal: AbortSignal): Promise<Params> {
    // A modern request's capabilities are its own: the router checks them (and answers -32021).
    if (this.agentRequests && !this.closed) return this.agentRequests(method, params, signal);
    const needed = CLIENT_CAPABILITY_FOR[method];
    if (needed && !this.clientCapabilities[needed]) {
      return Promise.reject(
        new JsonRpcError(
          ErrorCode.InternalError,
          `Client does not support ${needed} (required for ${method})`,
        ),
      );
    }
    if (this.closed)
      return Promise.reject(new JsonRpcError(ErrorCode.InternalError, 'The client session is closed'));
    // The agent call this request belongs with: its cancellation goes on the same stream.
    return this.outgoing.request(method, params, signal, this.relatedRequestId());
  }

  /** A notification from the upstream for this agent (sent at once: order is kept). */
  sendNotification(notification: AgentNotification): void {
    if (this.closed) return;
    if (this.agentNotifications) return this.agentNotifications(notification);
    const { method, params } = notification;
    if (method === 'notifications/message' && this.logLevel && !atLeast(params?.level, this.logLevel)) return;
    if (method === 'notifications/resources/updated') {
      // A subscription made while resources were allowed ends when the policy stops allowing them.
      void featureAllowed(this.services, this.featureSession, 'resources').then((allowed) => {
        if (allowed) this.send({ jsonrpc: '2.0', method, params } as JSONRPCMessage);
        else this.subscriptions.delete(String(params?.uri));
      });
      return;
    }
    this.send({ jsonrpc: '2.0', ...notification } as JSONRPCMessage, this.relatedRequestId());
  }

  /** Policy or catalog changed what this agent may see. */
  async notifyToolsChanged(): Promise<void> {
    if (this.closed || !this.initialized || !this.capabilities.tools) return;
    this.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  }

  // ---- the upstream

  /** The upstream connection, reconnected first if it died (a stdio process is restarted). */
  private async upstream(): Promise<UpstreamConnection> {
    if (this.closed) throw new JsonRpcError(ErrorCode.InternalError, 'The session is closed');
    if (this.link.alive) return this.link.connection;
    this.reconnecting ??= (async () => {
      await this.link.release().catch(() => undefined);
      const state = await this.services.servers.get(this.grant.serverId);
      if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
      this.link = await this.services.upstreams.connect(state, this, this.clientCapabilities);
      return this.link;
    })().finally(() => (this.reconnecting = undefined));
    try {
      return (await this.reconnecting).connection;
    } catch (error) {
      if (error instanceof JsonRpcError || error instanceof NeedsConnectionError) throw error;
      this.services.metrics.recordUpstreamError('connect');
      throw new JsonRpcError(
        ErrorCode.InternalError,
        // Our words only: what the upstream said (it refused initialize, say) is not the agent's to read.
        `Upstream server is unavailable: ${describeUpstreamError(error)}`,
      );
    }
  }

  private async forward(method: string, params: Params, extra: AgentExtra): Promise<ResultBody> {
    const connection = await this.upstream();
    this.forwarding += 1;
    try {
      return await forwardRequest(
        connection,
        method,
        params,
        extra,
        this.services.config.upstreamTimeoutMs,
        this.link.bearer,
      );
    } finally {
      this.forwarding -= 1;
    }
  }

  /** On a shared process, the URIs only this session subscribed to are unsubscribed as it leaves. */
  private async unsubscribeOwn(): Promise<void> {
    if (!this.link.shared || !this.link.alive) return;
    const own = [...this.subscriptions].filter((uri) => !this.link.subscribedElsewhere(uri));
    this.subscriptions.clear();
    await Promise.allSettled(
      own.map((uri) =>
        this.link.connection.request(
          'resources/unsubscribe',
          { uri },
          { timeoutMs: Math.min(5_000, this.services.config.upstreamTimeoutMs) },
        ),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // (A toolset's requests here follow the toolset's own cancellation: theirs is not aborted here.)
    for (const controller of this.inflight.values()) if (controller !== WITHIN) controller.abort();
    this.outgoing.rejectAll();
    await this.unsubscribeOwn().catch(() => undefined);
    await Promise.allSettled([this.link.release(), this.transport?.close()]);
  }
}

/** A tools/call result as the spec shapes it (content a list, isError a boolean), or a task (tasks extension). */
function isToolResult(result: ResultBody): boolean {
  if ('content' in result && !Array.isArray(result.content)) return false;
  if ('isError' in result && typeof result.isError !== 'boolean') return false;
  if (
    'structuredContent' in result &&
    (typeof result.structuredContent !== 'object' || result.structuredContent === null)
  )
    return false;
  return true;
}
