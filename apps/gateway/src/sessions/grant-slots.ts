// Open upstream sessions per grant on this replica: agents' (legacy) sessions and the warm sessions
// the modern pool serves stateless (2026-07-28) requests on count alike, since each holds a session
// at the upstream (an HTTP upstream: a connection of its own). GATEWAY_MAX_SESSIONS_PER_GRANT bounds
// both together. At the cap, one idle session of the grant is closed to make room (the pool's warm
// sessions first, then an agent's least recently used one; each holder says how), else the new one
// is refused. Agents' sessions are also counted across replicas (session-store.ts); warm pooled ones
// only where they live, since they move nowhere (docs/scaling.md).
export class SessionLimitError extends Error {
  constructor(
    message: string,
    /** When a slot should free at the latest (the gateway's estimate); HTTP Retry-After says it too. */
    readonly retryAfterMs = 60_000,
  ) {
    super(message);
  }
}

/** Closes one idle session of the grant if its holder has one; true when a slot was freed. */
export type SlotEvictor = (grantId: string) => Promise<boolean>;
/** When the grant's least recently seen session there last received a request (epoch ms), if it has any. */
export type SlotEstimator = (grantId: string) => number | undefined;

export class GrantSlots {
  private readonly open = new Map<string, number>();
  private readonly evictors: SlotEvictor[] = [];
  private readonly estimators: SlotEstimator[] = [];

  constructor(
    readonly max: number,
    /** The longest one request can run (admission wait + approval hold + upstream timeout). */
    private readonly longestRequestMs: number,
  ) {}

  /** Evictors are tried in the order added. */
  addEvictor(evictor: SlotEvictor): void {
    this.evictors.push(evictor);
  }

  /** Each holder says when its least recently seen session of a grant last got a request. */
  addEstimator(estimator: SlotEstimator): void {
    this.estimators.push(estimator);
  }

  /**
   * When a slot should free at the latest, in ms from now (at least 1 s; 60 s when no session here
   * can say, e.g. the others are on other replicas): a session frees once its newest request has
   * ended, and that request came at its last-seen time or before and runs at most longestRequestMs.
   */
  freesInMs(grantId: string): number {
    const seen = this.estimators.map((e) => e(grantId)).filter((at): at is number => at !== undefined);
    if (seen.length === 0) return 60_000;
    return Math.max(1_000, Math.min(...seen) + this.longestRequestMs - Date.now());
  }

  count(grantId: string): number {
    return this.open.get(grantId) ?? 0;
  }

  limitMessage(grantId: string): string {
    const seconds = Math.ceil(this.freesInMs(grantId) / 1000);
    return `Too many open sessions for this grant (at most ${this.max}, agent sessions and the gateway's warm sessions for stateless requests together), each with a request in flight; a slot frees when one finishes, at the latest in about ${seconds} s`;
  }

  /** The refusal at the cap, with when to retry. */
  limitError(grantId: string): SessionLimitError {
    return new SessionLimitError(this.limitMessage(grantId), this.freesInMs(grantId));
  }

  /** Takes a slot, closing an idle session of the grant first when it is at the cap. */
  async reserve(grantId: string): Promise<void> {
    if (this.count(grantId) >= this.max) for (const evict of this.evictors) if (await evict(grantId)) break;
    this.reserveNow(grantId);
  }

  /** Takes a slot or throws SessionLimitError, closing nothing. */
  reserveNow(grantId: string): void {
    const open = this.count(grantId);
    if (open >= this.max) throw this.limitError(grantId);
    this.open.set(grantId, open + 1);
  }

  release(grantId: string): void {
    const open = this.count(grantId) - 1;
    if (open <= 0) this.open.delete(grantId);
    else this.open.set(grantId, open);
  }
}
