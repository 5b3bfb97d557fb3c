// Sliding-window counters in PostgreSQL, one row per consumed slot in rate_limit_hits.
// Exactness under concurrency: each reserve is one transaction (one call of a database function)
// that first takes a transaction-scoped advisory lock per counter key (in a fixed order, so two
// reserves cannot deadlock), then counts and inserts. Row locks would not do: there is no row to
// lock while a counter is empty.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { mergeCountersByKey, ReservationStates, type CounterStore, type KeyedCounter, type Reservation, type ReserveResult } from './counter-store.ts';

/** The table this store uses; the Prisma migration creates the same one. */
export const RATE_LIMIT_HITS_DDL = `
CREATE TABLE IF NOT EXISTS rate_limit_hits (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  at TIMESTAMPTZ(3) NOT NULL,
  expires_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_limit_hits_key_at_idx ON rate_limit_hits (key, at);
CREATE INDEX IF NOT EXISTS rate_limit_hits_expires_at_idx ON rate_limit_hits (expires_at);
`;

/**
 * One reserve in one round trip and one commit. The outer function takes a transaction-scoped
 * advisory lock per counter key (in hash order, so two reserves cannot deadlock); only then, because
 * its argument is the number of locks taken, is the inner function called, and as a volatile SQL
 * function its statement takes a new snapshot in READ COMMITTED: the count sees the rows of whoever
 * held the lock before. (One plain statement would not: its snapshot predates the lock wait.)
 * Arguments: now in ms (NULL: the database clock at statement start), keys, windows (ms), maxes,
 * reservation id. Expired rows of these keys are purged; counters already full are returned with
 * the time the entry whose expiry frees a slot; rows are inserted only when no counter is full.
 *
 * The migration `rate_limit_reserve_function` creates the same functions (a test checks that they
 * agree). Neither body contains a semicolon: Prisma's migration runner splits scripts on them.
 */
export const RESERVE_FUNCTION_DDL = `
CREATE OR REPLACE FUNCTION portcullis_reserve_counters_locked(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text, p_locks int8)
RETURNS TABLE (now_ms text, idx int, frees_at_ms text, inserted int)
LANGUAGE sql VOLATILE AS $fn$
  WITH clock AS (
    SELECT COALESCE(p_now_ms, floor(extract(epoch FROM statement_timestamp()) * 1000)::int8) AS now_ms
  ), req AS (
    SELECT r.key, r.window_ms, r.max_hits, r.idx
    FROM unnest(p_keys, p_windows, p_maxes) WITH ORDINALITY AS r(key, window_ms, max_hits, idx)
  ), purged AS (
    DELETE FROM rate_limit_hits
    WHERE key = ANY(p_keys) AND expires_at <= (SELECT timestamptz 'epoch' + c.now_ms * interval '1 millisecond' FROM clock c)
  ), full_counters AS (
    SELECT req.idx, round(extract(epoch FROM blocking.at) * 1000)::int8 + req.window_ms AS frees_at_ms
    FROM req, clock
    CROSS JOIN LATERAL (
      SELECT h.at FROM rate_limit_hits h
      WHERE h.key = req.key AND h.at > timestamptz 'epoch' + (clock.now_ms - req.window_ms) * interval '1 millisecond'
      ORDER BY h.at DESC
      OFFSET req.max_hits - 1 LIMIT 1
    ) AS blocking
  ), inserted AS (
    INSERT INTO rate_limit_hits (id, key, at, expires_at)
    SELECT p_id || ':' || req.idx, req.key,
           timestamptz 'epoch' + clock.now_ms * interval '1 millisecond',
           timestamptz 'epoch' + (clock.now_ms + req.window_ms) * interval '1 millisecond'
    FROM req, clock
    WHERE NOT EXISTS (SELECT 1 FROM full_counters)
    RETURNING id
  )
  SELECT clock.now_ms::text, f.idx::int, f.frees_at_ms::text, (SELECT count(*) FROM inserted)::int
  FROM clock LEFT JOIN full_counters f ON true
  ORDER BY f.idx
  LIMIT 1
$fn$;

CREATE OR REPLACE FUNCTION portcullis_reserve_counters(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text)
RETURNS TABLE (now_ms text, idx int, frees_at_ms text, inserted int)
LANGUAGE sql VOLATILE AS $fn$
  SELECT r.now_ms, r.idx, r.frees_at_ms, r.inserted
  FROM (
    SELECT count(pg_advisory_xact_lock(ordered.h)) AS locks
    FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(p_keys) AS k ORDER BY h) AS ordered
  ) AS l
  CROSS JOIN LATERAL portcullis_reserve_counters_locked(p_now_ms, p_keys, p_windows, p_maxes, p_id, l.locks) AS r
$fn$;
`;

const RESERVE_SQL = 'SELECT now_ms, idx, frees_at_ms, inserted FROM portcullis_reserve_counters($1, $2, $3, $4, $5)';

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
    this.pool = typeof options.pool === 'string' ? new pg.Pool({ connectionString: options.pool }) : options.pool;
    this.keyPrefix = options.keyPrefix ?? '';
  }

  /** Creates rate_limit_hits and the reserve function if missing (tests; production relies on the migration). */
  async ensureTable(): Promise<void> {
    await this.pool.query(RATE_LIMIT_HITS_DDL);
    await this.pool.query(RESERVE_FUNCTION_DDL);
  }

  async reserve<C extends KeyedCounter>(counters: readonly C[], now?: number): Promise<ReserveResult<C>> {
    const merged = mergeCountersByKey(counters);
    const id = randomUUID();
    if (merged.length === 0) return { ok: true, reservation: { id, entries: [], at: now ?? Date.now() } };
    const keys = merged.map((c) => this.keyPrefix + c.key);
    this.isolationChecked ??= this.checkIsolation();
    await this.isolationChecked;
    // One statement in its own transaction: autocommit, one round trip, one commit.
    const { rows } = await this.pool.query<{ now_ms: string; idx: number | null; frees_at_ms: string | null; inserted: number }>({
      name: 'portcullis_reserve_counters',
      text: RESERVE_SQL,
      values: [now === undefined ? null : Math.floor(now), keys, merged.map((c) => c.windowMs), merged.map((c) => c.max), id],
    });
    const row = rows[0]!;
    const at = Number(row.now_ms);
    if (row.idx !== null) {
      return { ok: false, counter: merged[row.idx - 1]!.source, retryAfterMs: Math.max(1, Number(row.frees_at_ms) - at) };
    }
    return { ok: true, reservation: { id, entries: keys.map((key, i) => ({ key, member: `${id}:${i + 1}` })), at } };
  }

  /**
   * Counting is exact only when the count takes a snapshot after the lock wait, which READ
   * COMMITTED gives and REPEATABLE READ or SERIALIZABLE (as a database or role default) do not:
   * there, concurrent reserves would each count too few and allow more than max. Refuse instead.
   */
  private async checkIsolation(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level");
      const level = rows[0]?.level;
      if (level !== 'read committed') {
        throw new Error(`PostgreSQL rate-limit counters need READ COMMITTED transactions, but this connection defaults to ${level?.toUpperCase()} (default_transaction_isolation); the gateway refuses rate-limited calls until it is changed`);
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
      await this.pool.query('DELETE FROM rate_limit_hits WHERE id = ANY($1::text[])', [reservation.entries.map((e) => e.member)]);
    } catch (error) {
      this.states.unsettle(reservation);
      throw error;
    }
  }

  /** Deletes rows of every key that have slid out of their window; run periodically (reserve only prunes the keys it touches). */
  async deleteExpired(now?: number): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM rate_limit_hits WHERE expires_at <= COALESCE(timestamptz 'epoch' + $1::int8 * interval '1 millisecond', statement_timestamp())`,
      [now === undefined ? null : Math.floor(now)],
    );
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
