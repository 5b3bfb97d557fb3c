// One agent session of a toolset grant (docs/toolsets.md): the agent sees one server whose tools and
// prompts are its members', prefixed; each member is a GatewaySession of its own (opened on first
// use, with the toolset grant's id, so grant-scoped limits count across members) that polices,
// pins, audits and forwards exactly as for a server grant. Here: the union of lists, routing by
// prefix (tools, prompts) or by who listed a URI (resources), the members' notifications and
// requests to the agent, and a member that cannot be reached failing only its own requests.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type ClientCapabilities,
  type Implementation,
  type JSONRPCMessage,
  type LoggingLevel,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { PREFIX_SEPARATOR, splitPrefixed, type ToolsetMemberView } from '@portcullis/policy/toolset';
import type { Params } from '@portcullis/upstream/upstream-connection';
import type { AgentExtra, AgentNotification } from '../agent-request.ts';
import { auditRecord } from '../calls/audit-record.ts';
import { refusalResult } from '../calls/refusal.ts';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import { JsonRpcError, toErrorBody } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import type { ToolsetState } from '../state/toolset-state.ts';
import { AgentRequests, type AgentResponse } from './agent-requests.ts';
import {
  GatewaySession,
  type AgentRequestRouter,
  type OpenSessionOptions,
  type SessionHooks,
} from './gateway-session.ts';
import { atLeast } from './log-level.ts';
import { catalogListing } from './disconnected-link.ts';
import { toolNaming } from '../calls/tool-naming.ts';
import { checkParams, checkRequest } from './request-params.ts';

type ResultBody = Record<string, unknown>;

const MAX_INFLIGHT_PER_SESSION = 64;
/** Pages of one member's list gathered into the toolset's one page. */
const MAX_MEMBER_PAGES = 20;
/** How long a member whose upstream could not be reached is not tried again for a list (calls always try). */
const MEMBER_RETRY_MS = 5_000;
/** Resource URIs (and templates) a session remembers from the last listing, at most. */
const MAX_REMEMBERED_URIS = 50_000;
/** The longest a list waits for one member; a slower one lists from the catalog (tools) or nothing. */
const MEMBER_LIST_DEADLINE_MS = 5_000;

const CLIENT_CAPABILITY_FOR: Record<string, keyof ClientCapabilities> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** What a toolset announces: everything a member may offer (members open lazily; a member without a feature lists nothing). */
const TOOLSET_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  completions: {},
  logging: {},
};

interface MemberSlot {
  /** Replaced (never changed) when the toolset changes; the member session reads it live. */
  view: ToolsetMemberView;
  session: GatewaySession | undefined;
  opening: Promise<GatewaySession> | undefined;
  /** When its upstream last could not be reached (lists skip it for MEMBER_RETRY_MS). */
  failedAt?: number | undefined;
  /** Taken out of the toolset: a session still opening for it is closed when it arrives. */
  removed?: boolean;
}

export class ToolsetSession {
  readonly id: string;
  readonly grant: GrantContext;
  agentRequests: AgentRequestRouter | undefined;
  agentNotifications: ((notification: AgentNotification) => void) | undefined;
  lastSeenAt = Date.now();
  closed = false;
  private transport: Transport | undefined;
  private name: string;
  private slots: MemberSlot[];
  /** The members by prefix (rebuilt when the toolset changes): a call's routing is one split and one lookup. */
  private byPrefixMap = new Map<string, MemberSlot>();
  private readonly inflight = new Map<RequestId, AbortController>();
  private readonly outgoing = new AgentRequests((message, related) => this.send(message, related));
  private nextServedId = 0;
  private clientCapabilities: ClientCapabilities;
  private clientInfo: Implementation | undefined;
  private protocolVersion: string | undefined;
  private initialized: boolean;
  private logLevel: LoggingLevel | undefined;
  private readonly subscriptions = new Set<string>();
  /** Who listed each resource URI (and template) last; a URI two members list is routed to neither. */
  private resourceOwners = new Map<string, MemberSlot | 'ambiguous'>();
  private templateOwners: { pattern: { test(uri: string): boolean }; slot: MemberSlot }[] = [];
  private templatesListed = false;

  private constructor(
    private readonly services: GatewayServices,
    private readonly hooks: SessionHooks,
    private readonly options: OpenSessionOptions | Omit<OpenSessionOptions, 'grant'>,
    grant: GrantContext,
    state: ToolsetState,
  ) {
    this.id = options.id;
    this.grant = grant;
    this.name = state.name;
    this.slots = state.members.map((view) => ({ view, session: undefined, opening: undefined }));
    this.indexPrefixes();
    this.clientCapabilities = options.clientCapabilities;
    this.clientInfo = options.resumed?.clientInfo;
    this.protocolVersion = options.resumed?.protocolVersion;
    this.initialized = options.resumed !== undefined;
  }

  static async open(
    services: GatewayServices,
    hooks: SessionHooks,
    options: Omit<OpenSessionOptions, 'grant'> & { grant: GrantContext & { toolsetId: string } },
  ): Promise<ToolsetSession> {
    const state = await services.toolsets.get(options.grant.toolsetId);
    if (!state || state.organizationId !== options.grant.organizationId)
      throw new JsonRpcError(ErrorCode.InvalidRequest, 'This toolset is no longer registered');
    return new ToolsetSession(services, hooks, options, options.grant, state);
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  private indexPrefixes(): void {
    this.byPrefixMap = new Map(this.slots.map((slot) => [slot.view.prefix, slot]));
  }

  /** The member a prefixed name belongs to, and the rest of the name. */
  private route(name: string): { slot: MemberSlot; rest: string } | undefined {
    const routed = splitPrefixed(this.byPrefixMap, name);
    return routed && { slot: routed.member, rest: routed.rest };
  }

  /** Whether a server is one of this toolset's members (its changes concern this session). */
  servesServer(serverId: string): boolean {
    return this.slots.some((slot) => slot.view.serverId === serverId);
  }

  servesToolset(toolsetId: string): boolean {
    return this.grant.toolsetId === toolsetId;
  }

  // ---- the members

  private member(slot: MemberSlot): Promise<GatewaySession> {
    if (slot.session && !slot.session.closed) return Promise.resolve(slot.session);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read live by the member's binding
    const toolset = this;
    slot.opening ??= GatewaySession.open(this.services, this.hooks, {
      id: this.id,
      grant: {
        ...this.grant,
        serverId: slot.view.serverId,
        toolset: {
          toolsetId: this.grant.toolsetId!,
          get member() {
            return slot.view;
          },
          get stateless() {
            return toolset.agentRequests !== undefined;
          },
        },
      },
      clientCapabilities: this.clientCapabilities,
      resumed: { clientInfo: this.clientInfo, protocolVersion: this.protocolVersion },
    }).then(
      (session) => {
        session.agentRequests = (method, params, signal) => this.requestAgent(method, params, signal);
        session.agentNotifications = (notification) => this.fromMember(slot, notification);
        // Closed, or the member was removed from the toolset, while it opened: nothing keeps it.
        if (this.closed || slot.removed) {
          void session.close();
          throw new JsonRpcError(ErrorCode.InternalError, 'The client session is closed');
        }
        slot.session = session;
        slot.opening = undefined;
        slot.failedAt = undefined;
        if (this.logLevel)
          void session
            .serve('logging/setLevel', { level: this.logLevel }, this.quietExtra())
            .catch(() => undefined);
        return session;
      },
      (error: unknown) => {
        slot.opening = undefined;
        slot.failedAt = Date.now();
        throw this.memberError(slot, error);
      },
    );
    return slot.opening;
  }

  /** An error of one member, as the agent reads it: naming the server, in our words (never the upstream's). */
  private memberError(slot: MemberSlot, error: unknown): JsonRpcError {
    const who = `Server "${slot.view.serverName}" (${slot.view.prefix}${PREFIX_SEPARATOR}) of toolset "${this.name}"`;
    if (!(error instanceof JsonRpcError))
      return new JsonRpcError(
        ErrorCode.InternalError,
        `${who} is unavailable: ${describeUpstreamError(error)}`,
      );
    const body = toErrorBody(error);
    if (body.message.startsWith(who)) return new JsonRpcError(body.code, body.message, body.data);
    const unavailable = /unavailable|no longer registered/i.test(body.message);
    return new JsonRpcError(
      unavailable ? ErrorCode.InternalError : body.code,
      unavailable ? `${who} is unavailable: ${body.message}` : `${who}: ${body.message}`,
      body.data,
    );
  }

  /** One request to a member; its errors name the server. */
  private async onMember(
    slot: MemberSlot,
    method: string,
    params: Params,
    extra: AgentExtra,
  ): Promise<ResultBody> {
    const session = await this.member(slot);
    try {
      return await session.serve(method, params, extra);
    } catch (error) {
      throw this.memberError(slot, error);
    }
  }

  /** A toolset change (members, prefixes, subsets, overrides): members kept are updated in place, removed ones closed. */
  async refresh(): Promise<void> {
    const state = await this.services.toolsets.get(this.grant.toolsetId!);
    if (!state) return this.close();
    this.name = state.name;
    const next: MemberSlot[] = [];
    for (const view of state.members) {
      const kept = this.slots.find((slot) => slot.view.serverId === view.serverId);
      if (kept) {
        kept.view = view;
        next.push(kept);
      } else next.push({ view, session: undefined, opening: undefined });
    }
    for (const slot of this.slots)
      if (!next.includes(slot)) {
        slot.removed = true;
        void slot.session?.close();
      }
    this.slots = next;
    this.indexPrefixes();
    this.resourceOwners = new Map();
    this.templateOwners = [];
    this.templatesListed = false;
    await this.notifyToolsChanged();
  }

  // ---- agent → gateway (an agent transport: legacy and Streamable HTTP sessions)

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

  private send(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    if (this.closed || !this.transport) return;
    this.transport
      .send(message, relatedRequestId === undefined ? undefined : { relatedRequestId })
      .catch((error: unknown) =>
        this.services.log.debug({ err: error, sessionId: this.id }, 'message to agent dropped'),
      );
  }

  private receive(message: JSONRPCMessage): void {
    this.lastSeenAt = Date.now();
    const m = message as { id?: RequestId; method?: string; params?: Params } & AgentResponse;
    if (m.method === undefined) return this.outgoing.settle(m);
    if (m.id === undefined) {
      if (m.method === 'notifications/cancelled') {
        const requestId = m.params?.requestId as RequestId | undefined;
        if (requestId !== undefined) this.inflight.get(requestId)?.abort();
      }
      return; // Others concern no single member (initialized: the members were initialized by the gateway).
    }
    const id = m.id;
    if (this.inflight.has(id) || this.inflight.size >= MAX_INFLIGHT_PER_SESSION) {
      this.send({
        jsonrpc: '2.0',
        id,
        error: this.inflight.has(id)
          ? {
              code: ErrorCode.InvalidRequest,
              message: 'Invalid Request: a request id is already in use in this session',
            }
          : {
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
      _meta: m.params?._meta as AgentExtra['_meta'],
      sendNotification: async (notification) =>
        this.send({ jsonrpc: '2.0', ...notification } as JSONRPCMessage, id),
    };
    this.handle(m.method, m.params ?? {}, extra).then(
      (result) => {
        this.inflight.delete(id);
        if (!controller.signal.aborted) this.send({ jsonrpc: '2.0', id, result } as JSONRPCMessage);
      },
      (error: unknown) => {
        this.inflight.delete(id);
        if (controller.signal.aborted) return;
        if (!(error instanceof JsonRpcError))
          this.services.log.error({ err: error, sessionId: this.id, method: m.method }, 'request failed');
        this.send({ jsonrpc: '2.0', id, error: toErrorBody(error) } as JSONRPCMessage);
      },
    );
  }

  /** One request of a session without an agent transport (modern, stateless requests). */
  serve(method: string, params: Params, extra: AgentExtra): Promise<ResultBody> {
    this.lastSeenAt = Date.now();
    const key = `served:${this.nextServedId++}`;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    if (extra.signal.aborted) controller.abort();
    else extra.signal.addEventListener('abort', onAbort, { once: true });
    this.inflight.set(key, controller);
    return this.handle(method, params, { ...extra, signal: controller.signal }).finally(() => {
      this.inflight.delete(key);
      extra.signal.removeEventListener('abort', onAbort);
      this.lastSeenAt = Date.now();
    });
  }

  describe(): { serverInfo: Implementation; capabilities: ServerCapabilities; instructions?: string } {
    const servers = this.slots
      .map(
        (slot) => `${slot.view.serverName} (tools and prompts named ${slot.view.prefix}${PREFIX_SEPARATOR}…)`,
      )
      .join(', ');
    return {
      serverInfo: { name: this.name, version: '1' },
      capabilities: TOOLSET_CAPABILITIES,
      instructions: `Toolset "${this.name}" through Portcullis: ${servers}.`,
    };
  }

  private async handle(method: string, params: Params, extra: AgentExtra): Promise<ResultBody> {
    checkRequest(method);
    switch (method) {
      case 'initialize':
        return this.initialize(params);
      case 'ping':
        return {};
      case 'tools/list':
        checkParams(method, params);
        return { tools: await this.gather('tools/list', 'tools', extra, (slot, tool) => tool) };
      case 'tools/call':
        checkParams(method, params);
        return this.callTool(params, extra);
      case 'prompts/list':
        checkParams(method, params);
        return {
          prompts: await this.gather('prompts/list', 'prompts', extra, (slot, prompt) => ({
            ...prompt,
            name: `${slot.view.prefix}${PREFIX_SEPARATOR}${String(prompt.name)}`,
          })),
        };
      case 'prompts/get': {
        checkParams(method, params);
        const routed = this.byPrefix(params.name as string, 'Prompt');
        return this.onMember(routed.slot, method, { ...params, name: routed.rest }, extra);
      }
      case 'resources/list':
      case 'resources/templates/list':
        checkParams(method, params);
        return this.listResources(method, extra);
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        checkParams(method, params);
        const uri = params.uri as string;
        const slot = await this.resourceOwner(uri, extra);
        if (method === 'resources/unsubscribe') this.subscriptions.delete(uri);
        const result = await this.onMember(slot, method, params, extra);
        if (method === 'resources/subscribe') this.subscriptions.add(uri);
        return result;
      }
      case 'completion/complete': {
        checkParams(method, params);
        const ref = params.ref as { type: string; name?: string; uri?: string };
        if (ref.type === 'ref/prompt') {
          const routed = this.byPrefix(ref.name ?? '', 'Prompt');
          return this.onMember(routed.slot, method, { ...params, ref: { ...ref, name: routed.rest } }, extra);
        }
        return this.onMember(await this.resourceOwner(ref.uri ?? '', extra), method, params, extra);
      }
      case 'logging/setLevel':
        checkParams(method, params);
        this.logLevel = params.level as LoggingLevel;
        await Promise.allSettled(
          this.slots.filter((slot) => slot.session).map((slot) => slot.session!.serve(method, params, extra)),
        );
        return {};
      default:
        throw new JsonRpcError(
          ErrorCode.MethodNotFound,
          `Method not found: ${method} (a toolset routes tools, prompts, resources and completions to its servers; other methods have no one server to go to)`,
        );
    }
  }

  private initialize(params: Params): ResultBody {
    this.initialized = true;
    if (params.capabilities && typeof params.capabilities === 'object')
      this.clientCapabilities = params.capabilities as ClientCapabilities;
    if (params.clientInfo && typeof params.clientInfo === 'object')
      this.clientInfo = params.clientInfo as Implementation;
    const requested = params.protocolVersion;
    this.protocolVersion =
      typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LATEST_PROTOCOL_VERSION;
    return { protocolVersion: this.protocolVersion, ...this.describe() };
  }

  /**
   * Every member's list (all its pages) as one page, each item renamed by `rename`. A member that
   * cannot be reached lists its tools from the catalog (its calls then fail naming it); for other
   * lists it lists nothing. A member that does not offer the feature lists nothing.
   */
  private async gather(
    method: 'tools/list' | 'prompts/list',
    key: 'tools' | 'prompts',
    extra: AgentExtra,
    rename: (slot: MemberSlot, item: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<Record<string, unknown>[]> {
    // One answer holds every member's pages: bounded like two upstream messages in all, so that
    // fifty members of twenty pages each cannot make one list a tenant's way to exhaust memory.
    const budget = { chars: 2 * this.services.config.maxUpstreamMessageBytes, cut: false };
    const lists = await Promise.all(
      this.slots.map(async (slot) => {
        const items: Record<string, unknown>[] = [];
        try {
          if (this.recentlyDown(slot))
            throw new JsonRpcError(ErrorCode.InternalError, 'recently unreachable');
          await this.withinDeadline(extra, async (bounded) => {
            let cursor: string | undefined;
            for (let page = 0; page < MAX_MEMBER_PAGES; page++) {
              const result = await this.onMember(
                slot,
                method,
                cursor === undefined ? {} : { cursor },
                bounded,
              );
              const list = result[key];
              if (Array.isArray(list))
                for (const item of list) {
                  budget.chars -= JSON.stringify(item)?.length ?? 0;
                  if (budget.chars < 0) {
                    budget.cut = true;
                    return;
                  }
                  items.push(rename(slot, item as Record<string, unknown>));
                }
              cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
              if (cursor === undefined) break;
            }
          });
        } catch (error) {
          if ((error as JsonRpcError).code === ErrorCode.MethodNotFound) return items;
          this.services.log.warn(
            { sessionId: this.id, serverId: slot.view.serverId, err: error },
            `toolset member unavailable for ${method}`,
          );
          if (method === 'tools/list') return this.catalogTools(slot).catch(() => []);
          return [];
        }
        return items;
      }),
    );
    if (budget.cut)
      this.services.log.warn(
        { sessionId: this.id, toolsetId: this.grant.toolsetId, method },
        'toolset list cut at twice GATEWAY_MAX_UPSTREAM_MESSAGE_BYTES',
      );
    return lists.flat();
  }

  /** A member whose upstream could not be reached a moment ago and has no session: lists do not wait for it. */
  private recentlyDown(slot: MemberSlot): boolean {
    return !slot.session && slot.failedAt !== undefined && Date.now() - slot.failedAt < MEMBER_RETRY_MS;
  }

  /** Runs one member's part of a list with its own deadline: a slow member is cancelled, not waited for. */
  private async withinDeadline(
    extra: AgentExtra,
    work: (bounded: AgentExtra) => Promise<void>,
  ): Promise<void> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    extra.signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work({ ...extra, signal: controller.signal }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => {
              controller.abort();
              reject(
                new JsonRpcError(ErrorCode.InternalError, `no answer within ${MEMBER_LIST_DEADLINE_MS} ms`),
              );
            },
            Math.min(MEMBER_LIST_DEADLINE_MS, this.services.config.upstreamTimeoutMs),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      extra.signal.removeEventListener('abort', onAbort);
    }
  }

  /** A member that cannot be reached: its tools as the catalog has them (its calls then fail naming it). */
  private async catalogTools(slot: MemberSlot): Promise<Record<string, unknown>[]> {
    const state = await this.services.servers.get(slot.view.serverId);
    if (!state) return [];
    const listed = await catalogListing(this.services, state);
    const naming = toolNaming(state, slot.view)!;
    return listed.tools.filter((tool) => naming.included(tool.name)).map((tool) => naming.present(tool));
  }

  private async listResources(
    method: 'resources/list' | 'resources/templates/list',
    extra: AgentExtra,
  ): Promise<ResultBody> {
    const key = method === 'resources/list' ? 'resources' : 'resourceTemplates';
    const lists = await this.gatherResources(method, key, extra);
    // What each member lists now replaces what it listed before (nothing is remembered past that),
    // in member order; a URI two members list is neither listed nor routed.
    if (key === 'resources') {
      const owners = new Map<string, MemberSlot | 'ambiguous'>();
      lists.forEach((list, i) => {
        const slot = this.slots[i]!;
        for (const item of list) {
          const uri = String(item.uri);
          const had = owners.get(uri);
          owners.set(uri, had !== undefined && had !== slot ? 'ambiguous' : slot);
          if (owners.size >= MAX_REMEMBERED_URIS) break;
        }
      });
      this.resourceOwners = owners;
      return { resources: lists.flat().filter((item) => owners.get(String(item.uri)) !== 'ambiguous') };
    }
    const templates: { pattern: { test(uri: string): boolean }; slot: MemberSlot }[] = [];
    lists.forEach((list, i) => {
      for (const item of list)
        if (typeof item.uriTemplate === 'string' && templates.length < MAX_REMEMBERED_URIS)
          templates.push({ pattern: templatePattern(item.uriTemplate), slot: this.slots[i]! });
    });
    this.templateOwners = templates;
    this.templatesListed = true;
    return { resourceTemplates: lists.flat() };
  }

  /** Each member's list (in member order; [] for one that fails, is down, or is too slow). */
  private async gatherResources(
    method: string,
    key: string,
    extra: AgentExtra,
  ): Promise<Record<string, unknown>[][]> {
    return Promise.all(
      this.slots.map(async (slot) => {
        try {
          if (this.recentlyDown(slot)) return [];
          let list: Record<string, unknown>[] = [];
          await this.withinDeadline(extra, async (bounded) => {
            const result = await this.onMember(slot, method, {}, bounded);
            list = Array.isArray(result[key]) ? (result[key] as Record<string, unknown>[]) : [];
          });
          return list;
        } catch {
          return [];
        }
      }),
    );
  }

  /**
   * The member a resource URI belongs to: the one member that claims it, by listing it or by a
   * template that matches it. Claimed by two (a listing and another member's template, two
   * templates), it is routed to neither: no member can take over another's reads.
   */
  private async resourceOwner(uri: string, extra: AgentExtra): Promise<MemberSlot> {
    // Both kinds of claim are known before a URI is routed: a listing alone must not win over
    // another member's template that was simply not asked for yet.
    if (!this.templatesListed) await this.listResources('resources/templates/list', extra);
    if (!this.resourceOwners.has(uri) && !this.templateOwners.some((t) => t.pattern.test(uri)))
      await this.listResources('resources/list', extra);
    const listed = this.resourceOwners.get(uri);
    const claims = new Set<MemberSlot | 'ambiguous'>();
    if (listed !== undefined) claims.add(listed);
    for (const template of this.templateOwners) if (template.pattern.test(uri)) claims.add(template.slot);
    if (claims.size > 1 || claims.has('ambiguous'))
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        `Resource ${uri.slice(0, 200)} is claimed by more than one server of this toolset`,
      );
    const owner = [...claims][0];
    if (!owner || owner === 'ambiguous')
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        `No server of this toolset lists resource ${uri.slice(0, 200)}`,
      );
    return owner;
  }

  private byPrefix(name: string, kind: 'Tool' | 'Prompt'): { slot: MemberSlot; rest: string } {
    const routed = this.route(name);
    if (!routed)
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        `${kind} ${name.slice(0, 200)} is not available in this toolset`,
      );
    return routed;
  }

  /** tools/call: to the member its prefix names (the member resolves the whole name); else refused and audited. */
  private async callTool(params: Params, extra: AgentExtra): Promise<ResultBody> {
    const name = params.name as string;
    const routed = this.route(name);
    if (routed) {
      const slot = routed.slot;
      let session = slot.session;
      if (!session || session.closed) {
        try {
          session = await this.member(slot);
        } catch (error) {
          const failure = error instanceof JsonRpcError ? error : this.memberError(slot, error);
          this.audit(name, slot.view.serverId, 'error', failure.message);
          throw failure;
        }
      }
      try {
        return await session.serveWithin('tools/call', params, extra);
      } catch (error) {
        throw this.memberError(slot, error);
      }
    }
    const reason = `Tool ${name.slice(0, 200)} is not available in this toolset`;
    this.audit(name, null, 'hide', reason);
    return refusalResult(
      { effect: 'hide', rule: '(toolset)', reason, counters: [] },
      null,
    ) as unknown as ResultBody;
  }

  /** The record of a call that reached no member (its server is unknown or cannot be reached). */
  private audit(name: string, serverId: string | null, decision: 'hide' | 'error', reason: string): void {
    const record = auditRecord(
      {
        salt: this.services.auditSalt,
        session: {
          id: this.id,
          grantId: this.grant.grantId,
          organizationId: this.grant.organizationId,
          serverId: serverId ?? '',
          toolsetId: this.grant.toolsetId,
          protocolVersion: this.protocolVersion,
        },
        method: 'tools/call',
        target: /^[A-Za-z0-9_.-]{1,128}$/.test(name)
          ? name
          : name.slice(0, 128).replace(/[^A-Za-z0-9_.-]/g, '?'),
        args: {},
        requestId: '',
        startedAt: new Date(),
      },
      undefined,
      decision,
      '(toolset)',
      reason.slice(0, 1000),
      { serverId },
    );
    void this.services.audit.insertOrDefer(record).catch(() => undefined);
  }

  // ---- members → agent

  private requestAgent(method: string, params: Params | undefined, signal: AbortSignal): Promise<Params> {
    if (this.agentRequests && !this.closed) return this.agentRequests(method, params, signal);
    const needed = CLIENT_CAPABILITY_FOR[method];
    if (needed && !this.clientCapabilities[needed])
      return Promise.reject(
        new JsonRpcError(
          ErrorCode.InternalError,
          `Client does not support ${needed} (required for ${method})`,
        ),
      );
    if (this.closed)
      return Promise.reject(new JsonRpcError(ErrorCode.InternalError, 'The client session is closed'));
    const related = this.inflight.size === 1 ? this.inflight.keys().next().value : undefined;
    return this.outgoing.request(method, params, signal, typeof related === 'string' ? undefined : related);
  }

  private fromMember(slot: MemberSlot, notification: AgentNotification): void {
    if (this.closed) return;
    const { method, params } = notification;
    if (method === 'notifications/resources/updated' && !this.subscriptions.has(String(params?.uri))) return;
    if (method === 'notifications/resources/list_changed') {
      this.resourceOwners = new Map();
      this.templateOwners = [];
    }
    if (method === 'notifications/message') {
      if (this.logLevel && !atLeast(params?.level, this.logLevel)) return;
      notification = {
        method,
        params: {
          ...params,
          logger: `${slot.view.prefix}${params?.logger ? `/${String(params.logger)}` : ''}`,
        },
      };
    }
    if (this.agentNotifications) return this.agentNotifications(notification);
    this.send({ jsonrpc: '2.0', ...notification } as JSONRPCMessage);
  }

  /** Policy, catalog or toolset changed what this agent may see. */
  async notifyToolsChanged(): Promise<void> {
    if (this.closed || !this.initialized) return;
    if (this.agentNotifications)
      return this.agentNotifications({ method: 'notifications/tools/list_changed' });
    this.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  }

  private quietExtra(): AgentExtra {
    return {
      requestId: 'toolset',
      signal: new AbortController().signal,
      sendNotification: async () => undefined,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inflight.values()) controller.abort();
    this.outgoing.rejectAll();
    await Promise.allSettled([
      ...this.slots.map((slot) => slot.session?.close() ?? slot.opening?.then((s) => s.close())),
      this.transport?.close(),
    ]);
  }
}

/**
 * An RFC 6570 URI template as a matcher: the literal parts in order, each expression standing for
 * one character or more. No regular expression is built from the upstream's text: the literals are
 * found left to right with indexOf (leftmost placement is the right one for such wildcards), so a
 * hostile template and a long URI cost time linear in their lengths.
 */
function templatePattern(template: string): { test(uri: string): boolean } {
  const parts = template.split(/\{[^}]*\}/);
  return {
    test(uri) {
      if (parts.length === 1) return uri === parts[0];
      const first = parts[0]!;
      const last = parts[parts.length - 1]!;
      if (!uri.startsWith(first) || uri.length < first.length + last.length + parts.length - 1) return false;
      let at = first.length;
      for (let i = 1; i < parts.length - 1; i++) {
        const found = uri.indexOf(parts[i]!, at + 1);
        if (found < 0) return false;
        at = found + parts[i]!.length;
      }
      const end = uri.length - last.length;
      return end >= at + 1 && uri.endsWith(last);
    },
  };
}
