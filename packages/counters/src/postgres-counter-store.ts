// Sliding-window counters in PostgreSQL, one row per consumed slot in rate_limit_hits.
// Exactness under concurrency: each reserve is one transaction that first takes a transaction-
// scoped advisory lock per counter key (in a fixed order, so two reserves cannot deadlock), then
// counts and inserts. Row locks would not do: there is no row to lock while a counter is empty.

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

// Locks are taken in hash order inside one statement; the subquery's ORDER BY fixes that order.
const LOCK_SQL = `
SELECT pg_advisory_xact_lock(h)
FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`;

// $1 now in ms (NULL: the database clock at statement start), $2 keys, $3 windows (ms), $4 maxes, $5 reservation id.
// Expired rows of these keys are purged; counters already full are returned with the time of the
// entry whose expiry frees a slot; rows are inserted only when no counter is full.
const RESERVE_SQL = `
WITH clock AS (
  SELECT COALESCE($1::int8, floor(extract(epoch FROM statement_timestamp()) * 1000)::int8) AS now_ms
), req AS (
  SELECT r.key, r.window_ms, r.max_hits, r.idx
  FROM unnest($2::text[], $3::int8[], $4::int4[]) WITH ORDINALITY AS r(key, window_ms, max_hits, idx)
), purged AS (
  DELETE FROM rate_limit_hits
  WHERE key = ANY($2::text[]) AND expires_at <= (SELECT timestamptz 'epoch' + now_ms * interval '1 millisecond' FROM clock)
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
  SELECT $5::text || ':' || req.idx, req.key,
         timestamptz 'epoch' + clock.now_ms * interval '1 millisecond',
         timestamptz 'epoch' + (clock.now_ms + req.window_ms) * interval '1 millisecond'
  FROM req, clock
  WHERE NOT EXISTS (SELECT 1 FROM full_counters)
  RETURNING id
)
SELECT clock.now_ms::text AS now_ms, f.idx::int AS idx, f.frees_at_ms::text AS frees_at_ms, (SELECT count(*) FROM inserted)::int AS inserted
FROM clock LEFT JOIN full_counters f ON true
ORDER BY f.idx
LIMIT 1`;

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

  constructor(options: PostgresCounterStoreOptions) {
    this.ownsPool = typeof options.pool === 'string';
    this.pool = typeof options.pool === 'string' ? new pg.Pool({ connectionString: options.pool }) : options.pool;
    this.keyPrefix = options.keyPrefix ?? '';
  }

  /** Creates rate_limit_hits if missing (tests; production relies on the migration). */
  async ensureTable(): Promise<void> {
    await this.pool.query(RATE_LIMIT_HITS_DDL);
  }

  async reserve<C extends KeyedCounter>(counters: readonly C[], now?: number): Promise<ReserveResult<C>> {
    const merged = mergeCountersByKey(counters);
    const id = randomUUID();
    if (merged.length === 0) return { ok: true, reservation: { id, entries: [], at: now ?? Date.now() } };
    const keys = merged.map((c) => this.keyPrefix + c.key);
    const client = await this.pool.connect();
    // A checked-out client whose connection dies (the database stops) emits 'error'; the pool only
    // listens while the client is idle, so without this the process dies of an unhandled event.
    let broken: Error | undefined;
    const onError = (error: Error) => void (broken ??= error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      await client.query(LOCK_SQL, [keys]);
      const { rows } = await client.query<{ now_ms: string; idx: number | null; frees_at_ms: string | null; inserted: number }>(RESERVE_SQL, [
        now === undefined ? null : Math.floor(now),
        keys,
        merged.map((c) => c.windowMs),
        merged.map((c) => c.max),
        id,
      ]);
      await client.query('COMMIT');
      const row = rows[0]!;
      const at = Number(row.now_ms);
      if (row.idx !== null) {
        return { ok: false, counter: merged[row.idx - 1]!.source, retryAfterMs: Math.max(1, Number(row.frees_at_ms) - at) };
      }
      return { ok: true, reservation: { id, entries: keys.map((key, i) => ({ key, member: `${id}:${i + 1}` })), at } };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A client that failed is dropped from the pool, not handed to the next caller.
      client.release(broken);
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
