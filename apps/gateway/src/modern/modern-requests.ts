// Serving modern (MCP 2026-07-28) requests: stateless, any replica, no session and no sticky routing.
//
// Each request is policed by the same dispatch as a legacy agent session's (GatewaySession.serve),
// on a session kept warm per grant, protocol revision and declared client capabilities
// (session-pool.ts): the upstream (2025-era: it needs initialize) sees one legacy session per such
// key, initialised with the capabilities the requests declare. stdio upstreams stay the one shared
// process per server. tools/call, prompts/get and resources/read may take several legs
// (held-exchanges.ts); subscriptions/listen opens a stream of list changes (listen-streams.ts).
import type { ServerResponse } from 'node:http';
import type { AgentNotification } from '../agent-request.ts';
import { JsonRpcError, toErrorBody } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { SessionHooks } from '../sessions/gateway-session.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import { HeldExchanges, isInputRequired, MULTI_ROUND, type Exchange } from './held-exchanges.ts';
import { ListenStreams } from './listen-streams.ts';
import { completeResult, discoverResult, legacyParams, type ModernRequest } from './modern-era.ts';
import { agentExtra, ModernResponse } from './modern-stream.ts';
import { SessionPool, type Pooled } from './session-pool.ts';
import type { ToolsetSession } from '../sessions/toolset-session.ts';

type ResultBody = Record<string, unknown>;

export interface ModernOptions {
  legMs?: number;
  resumeMs?: number;
}

export class ModernRequests {
  private readonly pool: SessionPool<Exchange>;
  private readonly held: HeldExchanges;
  private readonly listens: ListenStreams;

  constructor(
    private readonly services: GatewayServices,
    hooks: SessionHooks,
    options: ModernOptions = {},
  ) {
    this.pool = new SessionPool<Exchange>(services, hooks, {
      agentRequest: (pooled, method, params, signal) =>
        this.held.routeAgentRequest(pooled, method, params, signal),
      notification: (pooled, notification) => this.routeNotification(pooled, notification),
      listened: (key) => this.listens.listened(key),
    });
    this.held = new HeldExchanges(services, (session) => this.pool.pooledOf(session), options);
    this.listens = new ListenStreams(services, this.pool);
  }

  /** Closes the grant's least recently used idle pooled session (at its session cap); true if there was one. */
  evictIdle(grantId: string): Promise<boolean> {
    return this.pool.evictIdle(grantId);
  }

  /** When the grant's least recently seen pooled session last got a request. */
  leastRecentlySeen(grantId: string): number | undefined {
    return this.pool.leastRecentlySeen(grantId);
  }

  /** Requests being served or held on this replica. */
  inflightTotal(): number {
    return this.pool.inflightTotal();
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
      if (request.method === 'subscriptions/listen') return await this.listens.listen(grant, request, res);
      body = { result: await this.answer(grant, request, abort.signal, answer) };
    } catch (error) {
      if (!(error instanceof JsonRpcError))
        this.services.log.error(
          { err: error, method: request.method.slice(0, 100) },
          'modern request failed',
        );
      body = { error: toErrorBody(error) };
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
    const session = await this.pool.sessionFor(grant, request);
    const view = session.describe();
    if (method === 'server/discover') return discoverResult(view);
    const pooled = this.pool.pooledOf(session);
    pooled.active.add(answer);
    let result: ResultBody;
    try {
      result = MULTI_ROUND.has(method)
        ? await this.held.multiRound(grant, session, request, signal, answer)
        : await session.serve(
            method,
            legacyParams(params),
            agentExtra(request, signal, () => answer),
          );
    } finally {
      pooled.active.delete(answer);
    }
    // Only the gateway's own input-required answers go out as such; an upstream's result is always complete.
    if (isInputRequired(result)) return result;
    return completeResult(method, result, view.serverInfo);
  }

  /** The upstream's notification on a pooled session: a list change to its listen streams, progress or a log to the one request being served. */
  private routeNotification(pooled: Pooled<Exchange>, notification: AgentNotification): void {
    if (this.listens.routeListChange(pooled.key, notification)) return;
    // Anything else belongs with one request: delivered only when it is unambiguous whose it is.
    if (pooled.active.size === 1 && pooled.session?.inflightCount === 1)
      [...pooled.active][0]!.notify(notification);
  }

  /** Policy or catalog changed what the grants of this server (or toolset) may see. */
  notifyToolsChanged(targetId: string): void {
    this.listens.notifyToolsChanged(targetId);
  }

  /** A toolset changed: its pooled sessions take the new members, prefixes and subsets. */
  async toolsetChanged(toolsetId: string): Promise<void> {
    await Promise.allSettled(
      this.pool
        .openSessions()
        .filter((session) => session.servesToolset(toolsetId))
        .map((session) => (session as ToolsetSession).refresh()),
    );
    this.listens.notifyToolsChanged(toolsetId);
  }

  /** A grant changed: if it no longer lets anyone in, its listen streams, held calls and pooled upstream sessions end now. */
  async closeGrantIfInactive(grantId: string): Promise<void> {
    const pooled = this.pool.entriesOf(grantId);
    const open = this.listens.ofGrant(grantId);
    if (open.length === 0 && pooled.length === 0) return;
    if ((await this.services.grants.status(grantId)) === 'active') return;
    for (const listener of open) this.listens.end(listener);
    this.held.abandonGrant(grantId);
    await this.pool.close(pooled);
  }

  async closeAll(): Promise<void> {
    this.listens.endAll();
    this.held.abandonAll('The gateway is shutting down');
    await this.pool.closeAll();
  }
}
