// Multi-round trips of modern (2026-07-28) requests. A legacy upstream's sampling, elicitation or
// roots request during a modern client's tools/call, prompts/get or resources/read becomes an
// input-required result; the client's next leg carries inputResponses, which go back upstream as the
// answers. A request still running when a leg has lasted legMs (an approval hold, a slow tool)
// answers input-required with only a requestState, and the client's retry waits on. That state (the
// held upstream request, an Exchange) lives on the replica that started it: requestState names it,
// bound to grant, method and target and signed; a leg that lands on another replica, or after the
// hold was given up, gets a clear error.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import { bindToAbort } from '../abort-bound.ts';
import { JsonRpcError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { AgentSession } from '../sessions/agent-session.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import { legacyParams, type ModernRequest } from './modern-era.ts';
import { agentExtra, MISSING_REQUIRED_CLIENT_CAPABILITY, type ModernResponse } from './modern-stream.ts';
import { RequestStateCodec } from './request-state.ts';
import type { Pooled } from './session-pool.ts';

type ResultBody = Record<string, unknown>;

/** Methods whose 2026-07-28 results may be input-required (multi-round-trip requests). */
export const MULTI_ROUND = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** Server→client requests that have an input-request form on 2026-07-28. */
const INPUT_REQUEST_METHODS = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);
/** The client capability each input request needs. */
const CAPABILITY_FOR: Record<string, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
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

/** Whether a result is one of this gateway's own input-required answers. */
export function isInputRequired(result: object): boolean {
  return INPUT_REQUIRED.has(result);
}

interface PendingInput {
  method: string;
  params: Params | undefined;
  resolve(result: Params): void;
  reject(error: JsonRpcError): void;
}

export class Exchange {
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
    readonly pooled: Pooled<Exchange>,
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
      const pending = bindToAbort<Params, JsonRpcError>(
        signal,
        () => {
          if (this.inputs.delete(key))
            reject(new JsonRpcError(ErrorCode.RequestTimeout, 'The server cancelled the request'));
        },
        { resolve, reject },
      );
      this.inputs.set(key, { method, params, resolve: pending.resolve, reject: pending.reject });
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

export interface HeldOptions {
  legMs?: number | undefined;
  resumeMs?: number | undefined;
}

/** The exchanges held on this replica, by id (the id a requestState names). */
export class HeldExchanges {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly codec: RequestStateCodec;
  private readonly legMs: number;
  private readonly resumeMs: number;

  constructor(
    private readonly services: GatewayServices,
    /** The pool entry of a session (throws when the session left the pool). */
    private readonly pooledOf: (session: AgentSession) => Pooled<Exchange>,
    options: HeldOptions = {},
  ) {
    this.codec = new RequestStateCodec(services.config.encryptionKey);
    this.legMs = options.legMs ?? DEFAULT_LEG_MS;
    this.resumeMs = options.resumeMs ?? DEFAULT_RESUME_MS;
  }

  /** One leg of a multi-round request: a new exchange, or the one its requestState names (answers fed in). */
  async multiRound(
    grant: GrantContext,
    session: AgentSession,
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
    session: AgentSession,
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
        agentExtra(request, exchange.controller.signal, () => exchange.notify),
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
  routeAgentRequest(
    pooled: Pooled<Exchange>,
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

  /** Gives up the exchanges of a grant that no longer lets anyone in. */
  abandonGrant(grantId: string): void {
    for (const exchange of [...this.exchanges.values()].filter((e) => e.grantId === grantId)) {
      this.exchanges.delete(exchange.id);
      exchange.abandon('The grant is no longer valid');
    }
  }

  abandonAll(why: string): void {
    for (const exchange of this.exchanges.values()) exchange.abandon(why);
    this.exchanges.clear();
  }
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
