// One agent session: the SDK Server the agent talks to, and its link to the upstream. The Server
// advertises what the upstream advertises and forwards every method the spec defines. Tools are
// filtered (tools/list) and enforced (tools/call); resources, prompts and completions are allowed
// or denied per feature and audited (calls/handle-feature-request.ts); ping, logging and
// notifications pass through.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  ResultSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolRequest,
  type CallToolResult,
  type ClientCapabilities,
  type Implementation,
  type ListToolsResult,
  type LoggingLevel,
  type Notification,
  type Request,
  type Result,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { completionFeature, featureAllowed, handleFeatureRequest, listFeature, type FeatureSession } from '../calls/handle-feature-request.ts';
import { handleToolCall } from '../calls/handle-tool-call.ts';
import { filterListedTools } from '../calls/list-tools.ts';
import type { GatewayServices } from '../services.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import type { AgentExtra } from '../agent-request.ts';
import { JsonRpcError } from '../errors.ts';
import { forwardRequest } from './forward-request.ts';
import type { SessionSink, UpstreamLink } from './upstream-pool.ts';

export interface SessionHooks {
  /** The upstream lists a definition that differs from the catalog: re-sync it. */
  onDefinitionDrift(serverId: string, client: Client): void;
  /** A session connected: make sure the catalog has been synced from this upstream recently. */
  ensureCatalog(serverId: string, client: Client): Promise<void>;
}

export interface OpenSessionOptions {
  id: string;
  grant: GrantContext;
  clientCapabilities: ClientCapabilities;
}

/** How long the upstream may wait on the agent for sampling or elicitation (a person may be typing). */
const AGENT_REQUEST_TIMEOUT_MS = 30 * 60_000;

export class GatewaySession implements SessionSink {
  readonly id: string;
  readonly grant: GrantContext;
  readonly mcp: Server;
  lastSeenAt = Date.now();
  closed = false;
  private link: UpstreamLink;
  private reconnecting: Promise<UpstreamLink> | undefined;
  private readonly inflight = new Set<string | number>();
  private readonly subscriptions = new Set<string>();
  /** The level this agent asked for with logging/setLevel; messages below it are not sent to it. */
  private logLevel: LoggingLevel | undefined;

  private constructor(
    private readonly services: GatewayServices,
    private readonly hooks: SessionHooks,
    options: OpenSessionOptions,
    link: UpstreamLink,
    serverInfo: Implementation,
    capabilities: ServerCapabilities,
    instructions: string | undefined,
  ) {
    this.id = options.id;
    this.grant = options.grant;
    this.link = link;
    this.mcp = new Server(serverInfo, { capabilities, ...(instructions ? { instructions } : {}) });
    this.registerHandlers(capabilities);
  }

  /** Connects the upstream (or joins the shared one) and builds the agent-facing Server. */
  static async open(services: GatewayServices, hooks: SessionHooks, options: OpenSessionOptions): Promise<GatewaySession> {
    const state = await services.servers.get(options.grant.serverId);
    if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
    // The sink is filled in once the session exists; the upstream sends nothing to us before initialize completes.
    const ref: { session?: GatewaySession } = {};
    const sink: SessionSink = {
      id: options.id,
      get inflightCount() {
        return ref.session?.inflightCount ?? 0;
      },
      sendRequest: (request, signal) => (ref.session ? ref.session.sendRequest(request, signal) : Promise.reject(new Error('session not ready'))),
      sendNotification: (notification) => ref.session?.sendNotification(notification) ?? Promise.resolve(),
      isSubscribed: (uri) => ref.session?.isSubscribed(uri) ?? false,
    };
    const link = await services.upstreams.connect(state, sink, options.clientCapabilities);
    try {
      await hooks.ensureCatalog(options.grant.serverId, link.client);
    } catch (error) {
      await link.release().catch(() => undefined);
      throw error;
    }
    const upstreamCapabilities = link.client.getServerCapabilities() ?? {};
    const capabilities: ServerCapabilities = {
      // The gateway announces tools/list_changed itself when policy or catalog changes what is visible.
      ...(upstreamCapabilities.tools ? { tools: { ...upstreamCapabilities.tools, listChanged: true } } : {}),
      ...(upstreamCapabilities.resources ? { resources: upstreamCapabilities.resources } : {}),
      ...(upstreamCapabilities.prompts ? { prompts: upstreamCapabilities.prompts } : {}),
      ...(upstreamCapabilities.completions ? { completions: upstreamCapabilities.completions } : {}),
      ...(upstreamCapabilities.logging ? { logging: upstreamCapabilities.logging } : {}),
    };
    const serverInfo = link.client.getServerVersion() ?? { name: state.server.name, version: '0.0.0' };
    ref.session = new GatewaySession(services, hooks, options, link, serverInfo, capabilities, link.client.getInstructions());
    return ref.session;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  isSubscribed(uri: string): boolean {
    return this.subscriptions.has(uri);
  }

  /** The agent request a server→client message belongs with: the only one in flight, if there is one. */
  private relatedRequestId(): string | number | undefined {
    if (this.inflight.size !== 1) return undefined;
    return this.inflight.values().next().value;
  }

  async sendRequest(request: Request, signal: AbortSignal): Promise<Result> {
    const related = this.relatedRequestId();
    return this.mcp.request(request as ServerRequest, ResultSchema, {
      signal,
      timeout: AGENT_REQUEST_TIMEOUT_MS,
      ...(related === undefined ? {} : { relatedRequestId: related }),
    });
  }

  async sendNotification(notification: Notification): Promise<void> {
    if (this.closed) return;
    if (notification.method === 'notifications/message' && this.logLevel && !atLeast((notification.params as { level?: unknown } | undefined)?.level, this.logLevel)) return;
    // A subscription made while resources were allowed ends when the policy stops allowing them.
    if (notification.method === 'notifications/resources/updated' && !(await featureAllowed(this.services, this.featureSession(), 'resources'))) {
      this.subscriptions.delete(String((notification.params as { uri?: unknown } | undefined)?.uri));
      return;
    }
    const related = this.relatedRequestId();
    try {
      await this.mcp.notification(notification as ServerNotification, related === undefined ? undefined : { relatedRequestId: related });
    } catch (error) {
      this.services.log.debug({ err: error, sessionId: this.id, method: notification.method }, 'notification to agent dropped');
    }
  }

  private featureSession(): FeatureSession {
    return {
      id: this.id,
      grantId: this.grant.grantId,
      organizationId: this.grant.organizationId,
      serverId: this.grant.serverId,
      forward: (request, extra) => this.forward(request, extra),
    };
  }

  /** Policy or catalog changed what this agent may see. */
  async notifyToolsChanged(): Promise<void> {
    if (this.closed || !this.mcp.getClientCapabilities()) return;
    await this.mcp.sendToolListChanged().catch(() => undefined);
  }

  /** The upstream connection, reconnected first if it died (a stdio process is restarted). */
  private async upstream(): Promise<Client> {
    if (this.link.alive) return this.link.client;
    this.reconnecting ??= (async () => {
      await this.link.release().catch(() => undefined);
      const state = await this.services.servers.get(this.grant.serverId);
      if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
      this.link = await this.services.upstreams.connect(state, this, this.mcp.getClientCapabilities() ?? {});
      return this.link;
    })().finally(() => (this.reconnecting = undefined));
    try {
      return (await this.reconnecting).client;
    } catch (error) {
      if (error instanceof JsonRpcError) throw error;
      this.services.metrics.recordUpstreamError('connect');
      throw new JsonRpcError(ErrorCode.InternalError, `Upstream server is unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async forward(request: Request, extra: AgentExtra, resultSchema?: typeof ResultSchema): Promise<Result> {
    const client = await this.upstream();
    return forwardRequest(client, request, extra, this.services.config.upstreamTimeoutMs, resultSchema);
  }

  private track<R>(extra: AgentExtra, work: () => Promise<R>): Promise<R> {
    this.lastSeenAt = Date.now();
    this.inflight.add(extra.requestId);
    return work().finally(() => this.inflight.delete(extra.requestId));
  }

  private registerHandlers(capabilities: ServerCapabilities): void {
    const mcp = this.mcp;
    const passthrough = (request: Request, extra: AgentExtra) => this.track(extra, () => this.forward(request, extra));

    if (capabilities.tools) {
      mcp.setRequestHandler(ListToolsRequestSchema, (request, extra) =>
        this.track(extra, async () => {
          const upstream = (await this.forward(request, extra)) as ListToolsResult;
          const state = await this.services.servers.get(this.grant.serverId);
          if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
          const { result, definitionDrift } = filterListedTools(state, upstream);
          if (definitionDrift) this.hooks.onDefinitionDrift(this.grant.serverId, this.link.client);
          return result;
        }),
      );
      const toolSession = {
        id: this.id,
        grantId: this.grant.grantId,
        organizationId: this.grant.organizationId,
        serverId: this.grant.serverId,
        // Validated here, so a malformed result is recorded as an upstream error rather than a tool error.
        forwardToolCall: async (request: CallToolRequest, extra: AgentExtra) => (await this.forward(request, extra, CallToolResultSchema)) as CallToolResult,
      };
      // Registered with Protocol's setRequestHandler, not Server's override: the override parses the
      // request a second time and re-validates the result, which the upstream client (above) or our
      // own refusal already produced as a validated CallToolResult. The request is still parsed once.
      Protocol.prototype.setRequestHandler.call(mcp, CallToolRequestSchema, (request: CallToolRequest, extra: AgentExtra) =>
        this.track(extra, () => handleToolCall(this.services, toolSession, request, extra)),
      );
    }
    const featureSession = this.featureSession();
    const listed = (feature: 'resources' | 'prompts', empty: Result) => (request: Request, extra: AgentExtra) =>
      this.track(extra, () => listFeature(this.services, featureSession, feature, request, extra, empty));
    if (capabilities.resources) {
      mcp.setRequestHandler(ListResourcesRequestSchema, listed('resources', { resources: [] }));
      mcp.setRequestHandler(ListResourceTemplatesRequestSchema, listed('resources', { resourceTemplates: [] }));
      mcp.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
        this.track(extra, () => handleFeatureRequest(this.services, featureSession, 'resources', request, extra, request.params.uri)),
      );
      if (capabilities.resources.subscribe) {
        mcp.setRequestHandler(SubscribeRequestSchema, (request, extra) =>
          this.track(extra, async () => {
            const result = await handleFeatureRequest(this.services, featureSession, 'resources', request, extra, request.params.uri);
            this.subscriptions.add(request.params.uri);
            return result;
          }),
        );
        // Ending a subscription is always allowed: it only takes access away.
        mcp.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
          this.subscriptions.delete(request.params.uri);
          return passthrough(request, extra);
        });
      }
    }
    if (capabilities.prompts) {
      mcp.setRequestHandler(ListPromptsRequestSchema, listed('prompts', { prompts: [] }));
      mcp.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
        this.track(extra, () => handleFeatureRequest(this.services, featureSession, 'prompts', request, extra, request.params.name)),
      );
    }
    if (capabilities.completions) {
      mcp.setRequestHandler(CompleteRequestSchema, (request, extra) => {
        const ref = request.params.ref;
        const target = ref.type === 'ref/prompt' ? ref.name : ref.uri;
        return this.track(extra, () => handleFeatureRequest(this.services, featureSession, completionFeature(request), request, extra, target));
      });
    }
    if (capabilities.logging) {
      mcp.setRequestHandler(SetLevelRequestSchema, (request, extra) =>
        this.track(extra, async () => {
          this.logLevel = request.params.level;
          // A shared (stdio) upstream serves every session of the server: it is asked for everything
          // and each session filters to its own level, so one agent's setting never silences another's.
          if (this.link.shared) return this.forward({ method: 'logging/setLevel', params: { level: 'debug' } }, extra);
          return this.forward(request, extra);
        }),
      );
    }
    mcp.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      const client = await this.upstream().catch(() => undefined);
      if (client?.getServerCapabilities()) await client.sendRootsListChanged().catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.link.release(), this.mcp.close()]);
  }
}

const LOG_LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Whether a message's level is at or above the wanted one (an unknown level is passed on). */
function atLeast(level: unknown, wanted: LoggingLevel): boolean {
  const index = LOG_LEVELS.indexOf(level as LoggingLevel);
  return index < 0 || index >= LOG_LEVELS.indexOf(wanted);
}
