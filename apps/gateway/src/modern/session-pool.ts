// The warm upstream sessions modern (stateless) requests are served on: one legacy AgentSession
// per grant, protocol revision and declared client capabilities (the upstream, 2025-era, needs
// initialize and sees one session per such key), closed once idle. What the upstream sends on a
// pooled session (its requests to the client, its notifications) goes to the routes it was given.
// Each pooled session takes one of its grant's session slots (sessions/grant-slots.ts), as an
// agent's session does: at the cap an idle one is closed to make room, else the request is busy.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import type { AgentNotification } from '../agent-request.ts';
import { CallsBusyError } from '../admission/call-admission.ts';
import { JsonRpcError } from '../errors.ts';
import { SessionLimitError } from '../sessions/grant-slots.ts';
import type { GatewayServices } from '../services.ts';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import type { SessionHooks } from '../sessions/gateway-session.ts';
import { openAgentSession, type AgentSession } from '../sessions/agent-session.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import type { ModernRequest } from './modern-era.ts';
import type { ModernResponse } from './modern-stream.ts';

/** A held exchange as the pool sees it (held-exchanges.ts has the rest). */
export interface PooledExchange {
  outcome: unknown;
}

export interface Pooled<X extends PooledExchange = PooledExchange> {
  key: string;
  grantId: string;
  opening: Promise<AgentSession>;
  session: AgentSession | undefined;
  /** What the requests on this session declared (routed form): the upstream's requests are checked against it. */
  capabilities: ClientCapabilities;
  /** The answers of the requests being served on this session now (where their progress and logs go). */
  active: Set<ModernResponse>;
  /** Held exchanges running on this session (their upstream requests go to the only one in flight). */
  exchanges: Set<X>;
  /** Whether this entry still holds its grant's session slot (given back once, when it leaves the pool). */
  slotHeld: boolean;
}

export interface PoolRoutes<X extends PooledExchange> {
  /** The upstream asked the client something on this pooled session. */
  agentRequest(
    pooled: Pooled<X>,
    method: string,
    params: Params | undefined,
    signal: AbortSignal,
  ): Promise<Params>;
  /** The upstream sent a notification on this pooled session. */
  notification(pooled: Pooled<X>, notification: AgentNotification): void;
  /** Whether a listen stream holds this pooled session open. */
  listened(key: string): boolean;
}

export class SessionPool<X extends PooledExchange> {
  private readonly pool = new Map<string, Pooled<X>>();
  /** The entry each opened session belongs to (it is in the pool while pool.get(entry.key) is that entry). */
  private readonly bySession = new WeakMap<AgentSession, Pooled<X>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly idleMs: number;

  constructor(
    private readonly services: GatewayServices,
    private readonly hooks: SessionHooks,
    private readonly routes: PoolRoutes<X>,
  ) {
    this.idleMs = Math.min(services.config.sessionIdleMs, 5 * 60_000);
    this.sweeper = setInterval(() => void this.closeIdle(), Math.max(1_000, Math.min(30_000, this.idleMs)));
    this.sweeper.unref();
  }

  /** The pooled sessions open now. */
  openSessions(): AgentSession[] {
    const out: AgentSession[] = [];
    for (const pooled of this.pool.values())
      if (pooled.session && !pooled.session.closed) out.push(pooled.session);
    return out;
  }

  /** Requests being served or held on the pooled sessions. */
  inflightTotal(): number {
    let n = 0;
    for (const pooled of this.pool.values()) n += pooled.session?.inflightCount ?? 0;
    return n;
  }

  /** The warm session for this request's grant, revision and capabilities (opened if there is none). */
  async sessionFor(grant: GrantContext, request: ModernRequest): Promise<AgentSession> {
    const capabilities = routedCapabilities(request.clientCapabilities);
    // One pooled upstream session per person too: on a sign-in server it carries their account.
    const key = JSON.stringify([grant.grantId, grant.actingUserId, request.protocolVersion, capabilities]);
    let pooled = this.pool.get(key);
    if (pooled?.session?.closed) {
      this.drop(pooled);
      pooled = undefined;
    }
    if (!pooled) {
      try {
        await this.services.sessionSlots.reserve(grant.grantId);
      } catch (error) {
        if (!(error instanceof SessionLimitError)) throw error;
        throw new CallsBusyError(error.message, error.retryAfterMs);
      }
      // Another request for the same key may have opened the session meanwhile: it is shared.
      const opened = this.pool.get(key);
      if (opened && !opened.session?.closed) {
        this.services.sessionSlots.release(grant.grantId);
        return this.opened(opened);
      }
      if (opened) this.drop(opened);
      const entry: Pooled<X> = {
        key,
        grantId: grant.grantId,
        opening: Promise.resolve(undefined as unknown as AgentSession),
        session: undefined,
        capabilities,
        active: new Set(),
        exchanges: new Set(),
        slotHeld: true,
      };
      entry.opening = openAgentSession(this.services, this.hooks, {
        id: `stateless-${randomUUID()}`,
        grant,
        clientCapabilities: capabilities,
        resumed: { clientInfo: request.clientInfo, protocolVersion: request.protocolVersion },
      }).then(
        (session) => {
          session.agentRequests = (method, params, signal) =>
            this.routes.agentRequest(entry, method, params, signal);
          session.agentNotifications = (notification) => this.routes.notification(entry, notification);
          entry.session = session;
          this.bySession.set(session, entry);
          return session;
        },
        (error: unknown) => {
          this.drop(entry);
          throw error;
        },
      );
      this.pool.set(key, entry);
      pooled = entry;
    }
    return this.opened(pooled);
  }

  private async opened(pooled: Pooled<X>): Promise<AgentSession> {
    try {
      return await pooled.opening;
    } catch (error) {
      if (error instanceof JsonRpcError) throw error;
      this.services.metrics.recordUpstreamError('connect');
      throw new JsonRpcError(
        ErrorCode.InternalError,
        `Upstream server is unavailable: ${describeUpstreamError(error)}`,
      );
    }
  }

  /** The pool entry of a session still in the pool. */
  pooledOf(session: AgentSession): Pooled<X> {
    const pooled = this.bySession.get(session);
    if (pooled && this.pool.get(pooled.key) === pooled) return pooled;
    throw new JsonRpcError(ErrorCode.InternalError, 'The session for this request was closed; send it again');
  }

  /** The entries of one grant. */
  entriesOf(grantId: string): Pooled<X>[] {
    return [...this.pool.values()].filter((p) => p.grantId === grantId);
  }

  /** Takes an entry out of the pool (if it is still there) and gives its grant's slot back, once. */
  private drop(entry: Pooled<X>): void {
    if (this.pool.get(entry.key) === entry) this.pool.delete(entry.key);
    if (!entry.slotHeld) return;
    entry.slotHeld = false;
    this.services.sessionSlots.release(entry.grantId);
  }

  /** Takes these entries out of the pool and closes their sessions. */
  async close(entries: Pooled<X>[]): Promise<void> {
    for (const entry of entries) this.drop(entry);
    await Promise.allSettled(entries.map((p) => p.opening.then((s) => s.close())));
  }

  /** Nothing runs on it, nothing is held on it, no listen stream keeps it. */
  private idle(pooled: Pooled<X>): pooled is Pooled<X> & { session: AgentSession } {
    const session = pooled.session;
    return (
      session !== undefined &&
      session.inflightCount === 0 &&
      pooled.exchanges.size === 0 &&
      !this.routes.listened(pooled.key)
    );
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.idleMs;
    for (const pooled of [...this.pool.values()]) {
      if (!this.idle(pooled) || pooled.session.lastSeenAt > cutoff) continue;
      this.drop(pooled);
      await pooled.session.close().catch(() => undefined);
    }
  }

  /** When the grant's least recently seen pooled session last got a request (grant-slots.ts estimates from it). */
  leastRecentlySeen(grantId: string): number | undefined {
    let at: number | undefined;
    for (const pooled of this.pool.values())
      if (pooled.grantId === grantId && pooled.session)
        at = at === undefined ? pooled.session.lastSeenAt : Math.min(at, pooled.session.lastSeenAt);
    return at;
  }

  /** At the grant's session cap: closes its least recently used idle pooled session, if it has one. */
  async evictIdle(grantId: string): Promise<boolean> {
    let oldest: (Pooled<X> & { session: AgentSession }) | undefined;
    for (const pooled of this.pool.values())
      if (pooled.grantId === grantId && this.idle(pooled))
        if (!oldest || pooled.session.lastSeenAt < oldest.session.lastSeenAt) oldest = pooled;
    if (!oldest) return false;
    this.services.log.info(
      { grantId, pooledSession: oldest.session.id },
      'session limit reached: closing the least recently used idle pooled session',
    );
    this.services.metrics.sessionsEvicted += 1;
    this.drop(oldest);
    await oldest.session.close().catch(() => undefined);
    return true;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const pooled = [...this.pool.values()];
    for (const entry of pooled) this.drop(entry);
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
