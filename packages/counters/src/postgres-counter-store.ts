// Sliding-window counters in PostgreSQL: one row per consumed slot in rate_limit_hits (when it
// expires), and per key a row in rate_limit_counters with how many unexpired hits it holds, so a
// check reads one row whatever the limit (a limit of a million per minute costs what 30 does).
// Exactness under concurrency: each reserve is one statement in its own transaction (one call of a
// database function) that first takes a transaction-scoped advisory lock per counter key (in a
// fixed order, so two reserves cannot deadlock), then purges, counts and inserts. Row locks alone
// would not do: there is no row to lock while a counter is empty.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  mergeCountersByKey,
  ReservationStates,
  type CounterStore,
  type InlineReservation,
  type KeyedCounter,
  type Reservation,
  type ReserveResult,
} from './counter-store.ts';

// The tables and functions come from the migrations (20261123204611_init,
// 20261203133111_rate_limit_counters, 20261203133431_audit_insert_reserving): portcullis_reserve_counters
// is one reserve in one round trip and one commit (see the last migration for how it stays exact);
// portcullis_release_hits and portcullis_delete_expired_hits delete hits and lower their counters.
const RESERVE_SQL =
  'SELECT now_ms, idx, frees_at_ms, inserted FROM portcullis_reserve_counters($1, $2, $3, $4, $5)';

export interface PostgresCounterStoreOptions {
  /** A connection string (the store owns and ends the pool) or an existing pool (the caller ends it). */
  pool: string | pg.Pool;
  /** Prepended to every key; default none (the table is Portcullis's own). */
  keyPrefix?: string;
}

export class PostgresCounterStore implements CounterStore {
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly keyPrefix: string;
  private readonly states = new ReservationStates();
  private isolationChecked: Promise<void> | undefined;

  constructor(options: PostgresCounterStoreOptions) {
    this.ownsPool = typeof options.pool === 'string';
    this.pool =
      typeof options.pool === 'string' ? new pg.Pool({ connectionString: options.pool }) : options.pool;
    this.keyPrefix = options.keyPrefix ?? '';
  }

  async reserve<C extends KeyedCounter>(counters: readonly C[], now?: number): Promise<ReserveResult<C>> {
    const merged = mergeCountersByKey(counters);
    const id = randomUUID();
    if (merged.length === 0) return { ok: true, reservation: { id, entries: [], at: now ?? Date.now() } };
    const keys = merged.map((c) => this.keyPrefix + c.key);
    await this.checkedIsolation();
    // One statement in its own transaction: autocommit, one round trip, one commit.
    const { rows } = await this.pool.query<{
      now_ms: string;
      idx: number | null;
      frees_at_ms: string | null;
      inserted: number;
    }>({
      name: 'portcullis_reserve_counters',
      text: RESERVE_SQL,
      values: [
        now === undefined ? null : Math.floor(now),
        keys,
        merged.map((c) => c.windowMs),
        merged.map((c) => c.max),
        id,
      ],
    });
    const row = rows[0]!;
    const at = Number(row.now_ms);
    if (row.idx !== null) {
      return {
        ok: false,
        counter: merged[row.idx - 1]!.source,
        retryAfterMs: Math.max(1, Number(row.frees_at_ms) - at),
      };
    }
    return {
      ok: true,
      reservation: { id, entries: keys.map((key, i) => ({ key, member: `${id}:${i + 1}` })), at },
    };
  }

  /**
   * The same reservation taken by the caller's statement (the gateway's audit insert calls the
   * database function with `spec`); commit and release then work as for reserve().
   */
  async prepareInline<C extends KeyedCounter>(counters: readonly C[]): Promise<InlineReservation<C>> {
    await this.checkedIsolation();
    const merged = mergeCountersByKey(counters);
    const id = randomUUID();
    const keys = merged.map((c) => this.keyPrefix + c.key);
    return {
      spec: { id, keys, windows: merged.map((c) => c.windowMs), maxes: merged.map((c) => c.max) },
      result: (refused, nowMs) =>
        refused
          ? {
              ok: false,
              counter: merged[refused.counterIndex - 1]!.source,
              retryAfterMs: Math.max(1, refused.freesAtMs - refused.nowMs),
            }
          : {
              ok: true,
              reservation: {
                id,
                entries: keys.map((key, i) => ({ key, member: `${id}:${i + 1}` })),
                at: nowMs,
              },
            },
    };
  }

  /** Resolves once the connection's isolation level is known to keep counts exact (see checkIsolation). */
  private checkedIsolation(): Promise<void> {
    this.isolationChecked ??= this.checkIsolation();
    return this.isolationChecked;
  }

  /**
   * Counting is exact only when the count takes a snapshot after the lock wait, which READ
   * COMMITTED gives and REPEATABLE READ or SERIALIZABLE (as a database or role default) do not:
   * there, concurrent reserves would each count too few and allow more than max. Refuse instead.
   */
  private async checkIsolation(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ level: string }>(
        "SELECT current_setting('transaction_isolation') AS level",
      );
      const level = rows[0]?.level;
      if (level !== 'read committed') {
        throw new Error(
          `PostgreSQL rate-limit counters need READ COMMITTED transactions, but this connection defaults to ${level?.toUpperCase()} (default_transaction_isolation); the gateway refuses rate-limited calls until it is changed`,
        );
      }
    } catch (error) {
      // Checked again on the next reserve: an outage must not stick, a wrong setting fails every time.
      this.isolationChecked = undefined;
      throw error;
    }
  }

  async commit(reservation: Reservation): Promise<void> {
    this.states.settle(reservation);
  }

  async release(reservation: Reservation): Promise<void> {
    if (!this.states.settle(reservation) || reservation.entries.length === 0) return;
    try {
      await this.pool.query('SELECT portcullis_release_hits($1::text[])', [
        reservation.entries.map((e) => e.member),
      ]);
    } catch (error) {
      this.states.unsettle(reservation);
      throw error;
    }
  }

  /** Deletes rows of every key that have slid out of their window; run periodically (reserve only prunes the keys it touches). */
  async deleteExpired(now?: number): Promise<number> {
    const { rows } = await this.pool.query<{ deleted: number }>(
      'SELECT portcullis_delete_expired_hits($1::int8) AS deleted',
      [now === undefined ? null : Math.floor(now)],
    );
    // Counters of keys with no hits left are dropped (a reserve recreates one as it needs it).
    await this.pool.query('DELETE FROM rate_limit_counters WHERE hits <= 0');
    return rows[0]?.deleted ?? 0;
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
