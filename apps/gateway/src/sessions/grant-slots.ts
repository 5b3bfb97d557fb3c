// Open upstream sessions per grant on this replica: agents' (legacy) sessions and the warm sessions
// the modern pool serves stateless (2026-07-28) requests on count alike, since each holds a session
// at the upstream (an HTTP upstream: a connection of its own). GATEWAY_MAX_SESSIONS_PER_GRANT bounds
// both together. At the cap, one idle session of the grant is closed to make room (the pool's warm
// sessions first, then an agent's least recently used one; each holder says how), else the new one
// is refused. Agents' sessions are also counted across replicas (session-store.ts); warm pooled ones
// only where they live, since they move nowhere (docs/scaling.md).
import { SessionLimitError } from './session-store.ts';

/** Closes one idle session of the grant if its holder has one; true when a slot was freed. */
export type SlotEvictor = (grantId: string) => Promise<boolean>;

export class GrantSlots {
  private readonly open = new Map<string, number>();
  private readonly evictors: SlotEvictor[] = [];

  constructor(readonly max: number) {}

  /** Evictors are tried in the order added. */
  addEvictor(evictor: SlotEvictor): void {
    this.evictors.push(evictor);
  }

  count(grantId: string): number {
    return this.open.get(grantId) ?? 0;
  }

  limitMessage(): string {
    return `Too many open sessions for this grant (at most ${this.max}, agent sessions and the gateway's warm sessions for stateless requests together), each with a request in flight; retry when one finishes`;
  }

  /** Takes a slot, closing an idle session of the grant first when it is at the cap. */
  async reserve(grantId: string): Promise<void> {
    if (this.count(grantId) >= this.max) for (const evict of this.evictors) if (await evict(grantId)) break;
    this.reserveNow(grantId);
  }

  /** Takes a slot or throws SessionLimitError, closing nothing. */
  reserveNow(grantId: string): void {
    const open = this.count(grantId);
    if (open >= this.max) throw new SessionLimitError(this.limitMessage());
    this.open.set(grantId, open + 1);
  }

  release(grantId: string): void {
    const open = this.count(grantId) - 1;
    if (open <= 0) this.open.delete(grantId);
    else this.open.set(grantId, open);
  }
}
