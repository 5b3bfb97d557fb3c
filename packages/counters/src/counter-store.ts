// The contract every counter store implements, shared by all gateway replicas.

/** One sliding-window counter to consume: at most `max` entries newer than `windowMs`. */
export interface KeyedCounter {
  /** Full storage key, e.g. from @portcullis/policy's counterKey(); stores add their own prefix. */
  key: string;
  windowMs: number;
  max: number;
}

/** Slots taken by a successful reserve; pass back to commit or release. */
export interface Reservation {
  readonly id: string;
  /** The stored entries, one per distinct key. */
  readonly entries: ReadonlyArray<{ readonly key: string; readonly member: string }>;
  /** Time the slots were taken, in the store's clock (ms since epoch). */
  readonly at: number;
}

export type ReserveResult<C extends KeyedCounter = KeyedCounter> =
  | { ok: true; reservation: Reservation }
  /** `counter` is the caller's own object for the first counter that is full. */
  | { ok: false; counter: C; retryAfterMs: number };

/**
 * A reservation made by the caller's own SQL statement instead of by reserve(): for a store in the
 * same PostgreSQL as the caller, so the reservation and the caller's write share one round trip and
 * one commit. `spec` goes to the database function (portcullis_take_counters); `result` turns its
 * answer (undefined: taken; else the full counter and when it frees) into what reserve() returns.
 */
export interface InlineReservation<C extends KeyedCounter = KeyedCounter> {
  spec: { id: string; keys: string[]; windows: number[]; maxes: number[] };
  result(
    refused: { counterIndex: number; freesAtMs: number; nowMs: number } | undefined,
    nowMs: number,
  ): ReserveResult<C>;
}

export interface CounterStore {
  /**
   * Takes one slot in every counter, or none if any is full (all-or-nothing, atomic across
   * replicas). `now` (ms) is for tests; by default the store's server clock is used, so that
   * replicas with skewed clocks still agree.
   */
  reserve<C extends KeyedCounter>(counters: readonly C[], now?: number): Promise<ReserveResult<C>>;
  /** The call went ahead: the slots stay until they slide out of their windows. Idempotent. */
  commit(reservation: Reservation): Promise<void>;
  /** The call was denied later or failed upstream: give the slots back. No-op after commit; idempotent. */
  release(reservation: Reservation): Promise<void>;
  close(): Promise<void>;
  /** Present when reservations can ride in the caller's own statement (PostgreSQL); rejects when the store cannot count exactly. */
  prepareInline?<C extends KeyedCounter>(counters: readonly C[]): Promise<InlineReservation<C>>;
}

/**
 * Counters sharing a key are one counter: keep the strictest max for it, and remember which
 * caller object to report when it is full. Output is sorted by key (a stable lock order).
 */
export function mergeCountersByKey<C extends KeyedCounter>(
  counters: readonly C[],
): Array<{ key: string; windowMs: number; max: number; source: C }> {
  const byKey = new Map<string, { key: string; windowMs: number; max: number; source: C }>();
  for (const counter of counters) {
    if (!Number.isInteger(counter.max) || counter.max < 1)
      throw new Error(`counter ${counter.key}: max must be a positive integer`);
    if (!Number.isInteger(counter.windowMs) || counter.windowMs < 1)
      throw new Error(`counter ${counter.key}: windowMs must be a positive integer`);
    const existing = byKey.get(counter.key);
    if (!existing)
      byKey.set(counter.key, {
        key: counter.key,
        windowMs: counter.windowMs,
        max: counter.max,
        source: counter,
      });
    else {
      existing.windowMs = Math.max(existing.windowMs, counter.windowMs);
      if (counter.max < existing.max) Object.assign(existing, { max: counter.max, source: counter });
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Tracks committed reservations so a late release cannot give back slots of a call that happened. */
export class ReservationStates {
  private readonly settled = new WeakSet<Reservation>();
  /** Returns true the first time a reservation is settled (committed or released). */
  settle(reservation: Reservation): boolean {
    if (this.settled.has(reservation)) return false;
    this.settled.add(reservation);
    return true;
  }
  /** A release that failed to reach the store did not settle anything: a retry must run again. */
  unsettle(reservation: Reservation): void {
    this.settled.delete(reservation);
  }
}
