// Serving modern (MCP 2026-07-28) requests: stateless, any replica, no session and no sticky routing.
//
// Each request is policed by the same dispatch as a legacy agent session's (GatewaySession.serve),
// on a session kept warm per grant, protocol revision and declared client capabilities: the upstream
// (2025-era: it needs initialize) sees one legacy session per such key, initialised with the
// capabilities the requests declare. stdio upstreams stay the one shared process per server.
//
// Multi-round trips. A legacy upstream's sampling, elicitation or roots request during a modern
// client's tools/call, prompts/get or resources/read becomes an input-required result; the client's
// next leg carries inputResponses, which go back upstream as the answers. A request still running
// when a leg has lasted modernLegMs (an approval hold, a slow tool) answers input-required with only
// a requestState, and the client's retry waits on. That state (the held upstream request) lives on
// the replica that started it: requestState names it, bound to grant, method and target and signed;
// a leg that lands on another replica, or after the hold was given up, gets a clear error.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ErrorCode, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import type { AgentExtra, AgentNotification } from '../agent-request.ts';
import { JsonRpcError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import { GatewaySession, type SessionHooks } from '../sessions/gateway-session.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import { completeResult, discoverResult, legacyParams, type ModernRequest } from './modern-era.ts';
import { MISSING_REQUIRED_CLIENT_CAPABILITY, ModernResponse } from './modern-stream.ts';
import { RequestStateCodec } from './request-state.ts';

type ResultBody = Record<string, unknown>;

/** Methods whose 2026-07-28 results may be input-required (multi-round-trip requests). */
const MULTI_ROUND = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** Server→client requests that have an input-request form on 2026-07-28. */
const INPUT_REQUEST_METHODS = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);
/** The client capability each input request needs. */
const CAPABILITY_FOR: Record<string, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};
/** Upstream list changes a listen stream can carry, by the filter key that asks for them. */
const LIST_CHANGES: Record<string, string> = {
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};
/** The input-required results this gateway made (as opposed to anything an upstream sent). */
const INPUT_REQUIRED = new WeakSet<object>();
/** Longest a held exchange waits for the client's next leg before it is given up (upstream request cancelled). */
const DEFAULT_RESUME_MS = 60_000;
/** A leg answers input-required (requestState only) after this long, well under clients' 60 s request timeout. */
const DEFAULT_LEG_MS = 20_000;
const MAX_INPUTS_PER_EXCHANGE = 16;
const MAX_INPUT_RESPONSES = 32;
const TARGET_CHARS = 512;

interface PendingInput {
  method: string;
  params: Params | undefined;
  resolve(result: Params): void;
  reject(error: JsonRpcError): void;
}

interface Pooled {
  key: string;
  grantId: string;
  opening: Promise<GatewaySession>;
  session: GatewaySession | undefined;
  /** What the requests on this session declared (routed form): the upstream's requests are checked against it. */
  capabilities: ClientCapabilities;
  /** The answers of the requests being served on this session now (where their progress and logs go). */
  active: Set<ModernResponse>;
  /** Held exchanges running on this session (their upstream requests go to the only one in flight). */
  exchanges: Set<Exchange>;
}

class Exchange {
  readonly id = randomUUID();
  readonly controller = new AbortController();
  outcome: { ok: true; result: ResultBody } | { ok: false; error: unknown } | undefined;
  readonly inputs = new Map<string, PendingInput>();
  private nextInput = 0;
  private wake: (() => void) | undefined;
  /** Where the call's progress and logs go: the answer of the leg in progress (none between legs). */
  notify: ModernResponse | undefined;
  abandonTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly pooled: Pooled,
    readonly grantId: string,
    readonly method: string,
    readonly target: string,
  ) {}

  changed(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  addInput(method: string, params: Params | undefined, signal: AbortSignal): Promise<Params> {
    if (this.inputs.size >= MAX_INPUTS_PER_EXCHANGE)
      return Promise.reject(
        new JsonRpcError(
          ErrorCode.InternalError,
          `Too many pending requests to the client (at most ${MAX_INPUTS_PER_EXCHANGE})`,
        ),
      );
    const key = `input-${this.nextInput++}`;
    return new Promise<Params>((resolve, reject) => {
      const onAbort = () => {
        if (this.inputs.delete(key))
          reject(new JsonRpcError(ErrorCode.RequestTimeout, 'The server cancelled the request'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.inputs.set(key, {
        method,
        params,
        resolve: (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      this.changed();
    });
  }

  /** Ends the exchange with this error now (the upstream request is cancelled). */
  fail(error: JsonRpcError): void {
    this.outcome ??= { ok: false, error };
    this.changed();
    this.abandon(error.message);
  }

  /** Gives up: the upstream request is cancelled and the upstream's pending requests to the client fail. */
  abandon(why: string): void {
    clearTimeout(this.abandonTimer);
    this.controller.abort();
    for (const [key, input] of this.inputs) {
      this.inputs.delete(key);
      input.reject(new JsonRpcError(ErrorCode.InternalError, why));
    }
  }
}

/** An open subscriptions/listen stream (tool list changes of one grant's server). */
interface Listener {
  grantId: string;
  serverId: string;
  subscriptionId: string | number;
  /** The notifications it was acknowledged (toolsListChanged, promptsListChanged, resourcesListChanged). */
  honored: Record<string, true>;
  /** The pooled upstream session that hears the upstream's list changes for it (kept open while it listens). */
  pooledKey: string;
  res: ServerResponse;
  keepAlive: NodeJS.Timeout;
}

/** A comment line on an open listen stream this often, so proxies keep it open. */
const LISTEN_KEEPALIVE_MS = 15_000;

export interface ModernOptions {
  legMs?: number;
  resumeMs?: number;
}

export class ModernRequests {
  private readonly pool = new Map<string, Pooled>();
  private readonly exchanges = new Map<string, Exchange>();
  private readonly listeners = new Set<Listener>();
  private readonly codec: RequestStateCodec;
  private readonly sweeper: NodeJS.Timeout;
  private readonly legMs: number;
  private readonly resumeMs: number;
  private readonly idleMs: number;

  constructor(
    private readonly services: GatewayServices,
    private readonly hooks: SessionHooks,
    options: ModernOptions = {},
  ) {
    this.codec = new RequestStateCodec(services.config.encryptionKey);
    this.legMs = options.legMs ?? DEFAULT_LEG_MS;
    this.resumeMs = options.resumeMs ?? DEFAULT_RESUME_MS;
    this.idleMs = Math.min(services.config.sessionIdleMs, 5 * 60_000);
    this.sweeper = setInterval(() => void this.closeIdle(), Math.max(1_000, Math.min(30_000, this.idleMs)));
    this.sweeper.unref();
  }

  /** Requests being served or held on this replica. */
  inflightTotal(): number {
    let n = 0;
    for (const pooled of this.pool.values()) n += pooled.session?.inflightCount ?? 0;
    return n;
  }

  /** Serves one modern request and writes its answer (HTTP 200 with a JSON-RPC result or error). */
  async serve(grant: GrantContext, request: ModernRequest, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    // The client closing its request is the 2026-07-28 cancellation signal.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const meta = request.params._meta as Record<string, unknown> | undefined;
    const answer = new ModernResponse(res, meta?.['io.modelcontextprotocol/logLevel']);
    let body: { result: ResultBody } | { error: { code: number; message: string; data?: unknown } };
    try {
      if (request.method === 'subscriptions/listen') return await this.listen(grant, request, res);
      body = { result: await this.answer(grant, request, abort.signal, answer) };
    } catch (error) {
      if (!(error instanceof JsonRpcError))
        this.services.log.error(
          { err: error, method: request.method.slice(0, 100) },
          'modern request failed',
        );
      body = { error: errorBody(error) };
    }
    if (abort.signal.aborted) return;
    answer.end({ id: request.id, ...body });
  }

  private async answer(
    grant: GrantContext,
    request: ModernRequest,
    signal: AbortSignal,
    answer: ModernResponse,
  ): Promise<ResultBody> {
    // Removed and unknown methods were answered 404 at the edge (modern-era.ts).
    const { method, params } = request;
    const session = await this.sessionFor(grant, request);
    const view = session.describe();
    if (method === 'server/discover') return discoverResult(view);
    const pooled = this.pooledOf(session);
    pooled.active.add(answer);
    let result: ResultBody;
    try {
      result = MULTI_ROUND.has(method)
        ? await this.multiRound(grant, session, request, signal, answer)
        : await session.serve(method, legacyParams(params), this.extra(request, signal, answer));
    } finally {
      pooled.active.delete(answer);
    }
    // Only the gateway's own input-required answers go out as such; an upstream's result is always complete.
    if (INPUT_REQUIRED.has(result)) return result;
    return completeResult(method, result, view.serverInfo);
  }

  private extra(
    request: ModernRequest,
    signal: AbortSignal,
    answer: () => ModernResponse | undefined,
  ): AgentExtra;
  private extra(request: ModernRequest, signal: AbortSignal, answer: ModernResponse): AgentExtra;
  private extra(
    request: ModernRequest,
    signal: AbortSignal,
    answer: ModernResponse | (() => ModernResponse | undefined),
  ): AgentExtra {
    const meta = request.params._meta as AgentExtra['_meta'];
    const target = typeof answer === 'function' ? answer : () => answer;
    return {
      requestId: request.id,
      signal,
      _meta: meta,
      sendNotification: async (notification) => target()?.notify(notification),
    };
  }

  /** The upstream's notification on a pooled session: a list change to its listen streams, progress or a log to the one request being served. */
  private routeNotification(pooled: Pooled, notification: AgentNotification): void {
    const kind = LIST_CHANGES[notification.method];
    if (kind !== undefined) {
      for (const listener of this.listeners)
        if (listener.pooledKey === pooled.key && listener.honored[kind])
          listener.res.write(
            `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: notification.method, params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: listener.subscriptionId } } })}\n\n`,
          );
      return;
    }
    // Anything else belongs with one request: delivered only when it is unambiguous whose it is.
    if (pooled.active.size === 1 && pooled.session?.inflightCount === 1)
      [...pooled.active][0]!.notify(notification);
  }

  // ---- subscriptions/listen (the 2026-07-28 replacement of the GET stream)

  /**
   * Opens a listen stream: the acknowledgement (with what is honored), then
   * notifications/tools/list_changed whenever the policy or catalog of the grant's server changes
   * (every replica hears those changes, so any replica can hold the stream). Only tool list changes
   * are offered: prompts, resources and resource updates are refused by the acknowledgement.
   */
  private async listen(grant: GrantContext, request: ModernRequest, res: ServerResponse): Promise<void> {
    const filter = request.params.notifications;
    if (!filter || typeof filter !== 'object' || Array.isArray(filter)) {
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        "Invalid params: 'notifications' is required and must be a subscription filter object",
      );
    }
    const open = [...this.listeners].filter((l) => l.grantId === grant.grantId).length;
    if (open >= this.services.config.maxSessionsPerGrant) {
      throw new JsonRpcError(
        ErrorCode.InternalError,
        `Subscription limit reached: at most ${this.services.config.maxSessionsPerGrant} open listen streams per grant on this gateway`,
      );
    }
    const session = await this.sessionFor(grant, request);
    const view = session.describe();
    const asked = filter as Record<string, unknown>;
    // Tool list changes come from policy, catalog and upstream; prompt and resource list changes from
    // the upstream (on this pooled session), and only where the upstream has them.
    const honored: Record<string, true> = {};
    if (asked.toolsListChanged === true && view.capabilities.tools) honored.toolsListChanged = true;
    if (asked.promptsListChanged === true && view.capabilities.prompts?.listChanged)
      honored.promptsListChanged = true;
    if (asked.resourcesListChanged === true && view.capabilities.resources?.listChanged)
      honored.resourcesListChanged = true;
    const subscriptionId = request.id;
    const frame = (message: Record<string, unknown>) =>
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...message })}\n\n`);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    frame({
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: honored, _meta: { [SUBSCRIPTION_ID_META_KEY]: subscriptionId } },
    });
    if (Object.keys(honored).length === 0) {
      // Nothing to deliver: the subscription ends at once, gracefully.
      frame({
        id: subscriptionId,
        result: {
          resultType: 'complete',
          _meta: {
            [SUBSCRIPTION_ID_META_KEY]: subscriptionId,
            'io.modelcontextprotocol/serverInfo': view.serverInfo,
          },
        },
      });
      res.end();
      return;
    }
    const listener: Listener = {
      grantId: grant.grantId,
      serverId: grant.serverId,
      subscriptionId,
      honored,
      pooledKey: this.pooledOf(session).key,
      res,
      keepAlive: setInterval(() => res.write(': keepalive\n\n'), LISTEN_KEEPALIVE_MS),
    };
    listener.keepAlive.unref();
    this.listeners.add(listener);
    res.on('close', () => {
      clearInterval(listener.keepAlive);
      this.listeners.delete(listener);
    });
  }

  /** Policy or catalog changed what the grants of this server may see. */
  notifyToolsChanged(serverId: string): void {
    for (const listener of this.listeners) {
      if (listener.serverId !== serverId || !listener.honored.toolsListChanged) continue;
      listener.res.write(
        `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: listener.subscriptionId } } })}\n\n`,
      );
    }
  }

  /** A grant changed: if it no longer lets anyone in, its listen streams, held calls and pooled upstream sessions end now. */
  async closeGrantIfInactive(grantId: string): Promise<void> {
    const pooled = [...this.pool.values()].filter((p) => p.grantId === grantId);
    const open = [...this.listeners].filter((l) => l.grantId === grantId);
    if (open.length === 0 && pooled.length === 0) return;
    if ((await this.services.grants.status(grantId)) === 'active') return;
    for (const listener of open) this.endListener(listener);
    for (const exchange of [...this.exchanges.values()].filter((e) => e.grantId === grantId)) {
      this.exchanges.delete(exchange.id);
      exchange.abandon('The grant is no longer valid');
    }
    for (const entry of pooled) if (this.pool.get(entry.key) === entry) this.pool.delete(entry.key);
    await Promise.allSettled(pooled.map((p) => p.opening.then((s) => s.close())));
  }

  private endListener(listener: Listener): void {
    clearInterval(listener.keepAlive);
    this.listeners.delete(listener);
    listener.res.end();
  }

  // ---- multi-round-trip requests

  private async multiRound(
    grant: GrantContext,
    session: GatewaySession,
    request: ModernRequest,
    signal: AbortSignal,
    answer: ModernResponse,
  ): Promise<ResultBody> {
    const target = targetOf(request).slice(0, TARGET_CHARS);
    let exchange: Exchange;
    if (request.params.requestState !== undefined) {
      exchange = this.resume(grant, request, target);
    } else {
      if (request.params.inputResponses !== undefined)
        throw new JsonRpcError(
          ErrorCode.InvalidParams,
          'Invalid params: inputResponses without requestState (answer the input requests of the result that asked for them, with its requestState)',
        );
      exchange = this.start(grant, session, request, target);
    }
    return this.leg(exchange, signal, answer);
  }

  private start(
    grant: GrantContext,
    session: GatewaySession,
    request: ModernRequest,
    target: string,
  ): Exchange {
    const pooled = this.pooledOf(session);
    const held = [...this.exchanges.values()].filter((e) => e.grantId === grant.grantId).length;
    if (held >= this.services.config.maxSessionsPerGrant) {
      throw new JsonRpcError(
        ErrorCode.InvalidRequest,
        `Too many requests of this grant held on this gateway (at most ${this.services.config.maxSessionsPerGrant}); retry when one finishes`,
      );
    }
    const exchange = new Exchange(pooled, grant.grantId, request.method, target);
    this.exchanges.set(exchange.id, exchange);
    pooled.exchanges.add(exchange);
    session
      .serve(
        request.method,
        legacyParams(request.params),
        this.extra(request, exchange.controller.signal, () => exchange.notify),
      )
      .then(
        (result) => (exchange.outcome ??= { ok: true, result }),
        (error: unknown) => (exchange.outcome ??= { ok: false, error }),
      )
      .finally(() => {
        pooled.exchanges.delete(exchange);
        exchange.changed();
      });
    return exchange;
  }

  private resume(grant: GrantContext, request: ModernRequest, target: string): Exchange {
    const decoded = this.codec.decode(request.params.requestState);
    if (!decoded.ok) throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: ${decoded.reason}`);
    const { claim } = decoded;
    if (claim.grantId !== grant.grantId || claim.method !== request.method || claim.target !== target) {
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        'Invalid params: requestState belongs to another request (grant, method or name differ)',
      );
    }
    const exchange = this.exchanges.get(claim.exchangeId);
    if (!exchange) {
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        'Invalid params: requestState names a request this gateway replica does not hold (it finished, was given up after the client did not come back in time, or is held by another replica); send the request again without requestState',
      );
    }
    const responses = request.params.inputResponses;
    if (responses !== undefined) {
      if (!responses || typeof responses !== 'object' || Array.isArray(responses))
        throw new JsonRpcError(ErrorCode.InvalidParams, 'Invalid params: inputResponses must be an object');
      const entries = Object.entries(responses as Record<string, unknown>);
      if (entries.length > MAX_INPUT_RESPONSES)
        throw new JsonRpcError(
          ErrorCode.InvalidParams,
          `Invalid params: inputResponses has more than ${MAX_INPUT_RESPONSES} entries`,
        );
      for (const [key, value] of entries) {
        if (!value || typeof value !== 'object' || Array.isArray(value))
          throw new JsonRpcError(
            ErrorCode.InvalidParams,
            `Invalid params: inputResponses["${key.slice(0, 100)}"] must be an object (the result of the input request)`,
          );
      }
      for (const [key, value] of entries) {
        const input = exchange.inputs.get(key);
        if (!input) continue; // Answered already, or cancelled by the upstream meanwhile.
        exchange.inputs.delete(key);
        const { resultType: _resultType, ...result } = value as Record<string, unknown>;
        input.resolve(result);
      }
    }
    return exchange;
  }

  /** One leg: the result, the upstream's requests to the client, or (after legMs) a state to wait on. */
  private async leg(exchange: Exchange, signal: AbortSignal, answer: ModernResponse): Promise<ResultBody> {
    clearTimeout(exchange.abandonTimer);
    exchange.notify = answer;
    const onAbort = () => {
      this.exchanges.delete(exchange.id);
      exchange.abandon('The client cancelled the request');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const deadline = Date.now() + this.legMs;
      for (;;) {
        if (exchange.outcome) {
          this.exchanges.delete(exchange.id);
          if (exchange.outcome.ok) return exchange.outcome.result;
          throw exchange.outcome.error;
        }
        const left = deadline - Date.now();
        if (exchange.inputs.size > 0 || left <= 0) break;
        await exchange.waitForChange(left);
        if (signal.aborted)
          throw new JsonRpcError(ErrorCode.RequestTimeout, 'The client cancelled the request');
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      exchange.notify = undefined;
    }
    // Held until the client's next leg, for as long as a client may take to come back.
    exchange.abandonTimer = setTimeout(() => {
      this.exchanges.delete(exchange.id);
      exchange.abandon('The client did not come back for this request in time');
    }, this.resumeMs);
    exchange.abandonTimer.unref();
    const requestState = this.codec.encode({
      exchangeId: exchange.id,
      grantId: exchange.grantId,
      method: exchange.method,
      target: exchange.target,
      expiresAt: Date.now() + this.resumeMs,
    });
    const inputRequests: Record<string, unknown> = {};
    for (const [key, input] of exchange.inputs)
      inputRequests[key] = {
        method: input.method,
        ...(input.params === undefined ? {} : { params: inputParams(input.method, input.params) }),
      };
    const result = {
      resultType: 'input_required',
      ...(exchange.inputs.size > 0 ? { inputRequests } : {}),
      requestState,
    };
    INPUT_REQUIRED.add(result);
    return result;
  }

  /** The upstream asked the client something during a modern request: into the held exchange, or a clear refusal. */
  private routeAgentRequest(
    pooled: Pooled,
    method: string,
    params: Params | undefined,
    signal: AbortSignal,
  ): Promise<Params> {
    if (method === 'ping') return Promise.resolve({});
    if (!INPUT_REQUEST_METHODS.has(method)) {
      return Promise.reject(
        new JsonRpcError(
          ErrorCode.MethodNotFound,
          `The client speaks MCP 2026-07-28, which has no form for a server request ${method.slice(0, 100)} (only sampling/createMessage, elicitation/create and roots/list become input requests)`,
        ),
      );
    }
    const session = pooled.session;
    const exchanges = [...pooled.exchanges].filter((e) => !e.outcome);
    const needed = CAPABILITY_FOR[method]!;
    if (!pooled.capabilities[needed]) {
      const message = `Client does not support ${needed} (required for ${method})`;
      // The request that did not declare it is answered -32021 (HTTP 400), and its upstream call cancelled.
      if (exchanges.length === 1 && session?.inflightCount === 1)
        exchanges[0]!.fail(
          new JsonRpcError(
            MISSING_REQUIRED_CLIENT_CAPABILITY,
            `Missing required client capability: the server asked the client for ${method}, which needs the ${needed} capability this request did not declare in _meta["io.modelcontextprotocol/clientCapabilities"]`,
            { requiredCapabilities: { [needed]: {} } },
          ),
        );
      return Promise.reject(new JsonRpcError(ErrorCode.InternalError, message));
    }
    if (!session || exchanges.length !== 1 || session.inflightCount !== 1) {
      return Promise.reject(
        new JsonRpcError(
          ErrorCode.InternalError,
          exchanges.length === 0
            ? `Cannot ask the client (${method}): the request in flight is not a tools/call, prompts/get or resources/read, the only MCP 2026-07-28 requests that can carry input requests`
            : `Cannot ask the client (${method}): several MCP 2026-07-28 requests of this grant are in flight, so the gateway cannot tell which one this is for`,
        ),
      );
    }
    return exchanges[0]!.addInput(method, params, signal);
  }

  // ---- the pool of warm sessions

  private async sessionFor(grant: GrantContext, request: ModernRequest): Promise<GatewaySession> {
    const capabilities = routedCapabilities(request.clientCapabilities);
    const key = JSON.stringify([grant.grantId, request.protocolVersion, capabilities]);
    let pooled = this.pool.get(key);
    if (pooled?.session?.closed) {
      this.pool.delete(key);
      pooled = undefined;
    }
    if (!pooled) {
      const entry: Pooled = {
        key,
        grantId: grant.grantId,
        opening: Promise.resolve(undefined as unknown as GatewaySession),
        session: undefined,
        capabilities,
        active: new Set(),
        exchanges: new Set(),
      };
      entry.opening = GatewaySession.open(this.services, this.hooks, {
        id: `stateless-${randomUUID()}`,
        grant,
        clientCapabilities: capabilities,
        resumed: { clientInfo: request.clientInfo, protocolVersion: request.protocolVersion },
      }).then(
        (session) => {
          session.agentRequests = (method, params, signal) =>
            this.routeAgentRequest(entry, method, params, signal);
          session.agentNotifications = (notification) => this.routeNotification(entry, notification);
          entry.session = session;
          return session;
        },
        (error: unknown) => {
          if (this.pool.get(key) === entry) this.pool.delete(key);
          throw error;
        },
      );
      this.pool.set(key, entry);
      pooled = entry;
    }
    try {
      return await pooled.opening;
    } catch (error) {
      if (error instanceof JsonRpcError) throw error;
      this.services.metrics.recordUpstreamError('connect');
      throw new JsonRpcError(
        ErrorCode.InternalError,
        `Upstream server is unavailable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private pooledOf(session: GatewaySession): Pooled {
    for (const pooled of this.pool.values()) if (pooled.session === session) return pooled;
    throw new JsonRpcError(ErrorCode.InternalError, 'The session for this request was closed; send it again');
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.idleMs;
    for (const [key, pooled] of this.pool) {
      const session = pooled.session;
      if (
        !session ||
        session.inflightCount > 0 ||
        pooled.exchanges.size > 0 ||
        session.lastSeenAt > cutoff ||
        [...this.listeners].some((l) => l.pooledKey === key)
      )
        continue;
      this.pool.delete(key);
      await session.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    for (const listener of [...this.listeners]) this.endListener(listener);
    for (const exchange of this.exchanges.values()) exchange.abandon('The gateway is shutting down');
    this.exchanges.clear();
    const pooled = [...this.pool.values()];
    this.pool.clear();
    await Promise.allSettled(pooled.map((p) => p.opening.then((s) => s.close())));
  }
}

/**
 * What the gateway can carry back from the upstream, as the request declared it, reduced to the
 * spec's own sub-capabilities: the pool key, so an agent cannot make a new upstream session per
 * request by varying what it declares (a handful of combinations at most per grant).
 */
function routedCapabilities(declared: ClientCapabilities): ClientCapabilities {
  const pick = (value: unknown, keys: string[], flag = false): Record<string, unknown> | undefined => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const sub = (value as Record<string, unknown>)[key];
      if (flag ? sub === true : sub && typeof sub === 'object' && !Array.isArray(sub))
        out[key] = flag ? true : {};
    }
    return out;
  };
  const sampling = pick(declared.sampling, ['context', 'tools']);
  const elicitation = pick(declared.elicitation, ['form', 'url']);
  const roots = pick(declared.roots, ['listChanged'], true);
  return {
    ...(sampling ? { sampling } : {}),
    ...(elicitation ? { elicitation } : {}),
    ...(roots ? { roots } : {}),
  };
}

function targetOf(request: ModernRequest): string {
  const value = request.method === 'resources/read' ? request.params.uri : request.params.name;
  return typeof value === 'string' ? value : '';
}

/** A 2025-era server request's params in their 2026-07-28 input-request form. */
function inputParams(method: string, params: Params): Params {
  if (method !== 'elicitation/create') return params;
  // URL-mode elicitation lost its elicitationId (and the completion notification it keyed).
  const { elicitationId: _elicitationId, ...rest } = params;
  return rest;
}

function errorBody(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof JsonRpcError)
    return {
      code: error.code,
      message: error.message,
      ...(error.data === undefined ? {} : { data: error.data }),
    };
  return {
    code: ErrorCode.InternalError,
    message: error instanceof Error ? error.message : 'Internal error',
  };
}
