import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterStore, KeyedCounter } from '../src/counter-store.ts';
import { PostgresCounterStore } from '../src/postgres-counter-store.ts';
import { RedisCounterStore } from '../src/redis-counter-store.ts';
import { createTestDatabase, type TestDatabase } from '@portcullis/db/test-database';
import { openStore, REDIS_URL, uniqueSuffix, type StoreKind, type StoreTarget } from './test-stores.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

// The table and the reserve function as deployed: the project's migrations, applied.
let database: TestDatabase;
const runPrefix = `test:${uniqueSuffix()}:`;

beforeAll(async () => {
  database = await createTestDatabase('counters');
});
afterAll(async () => {
  await database?.drop();
});

function runWorker(input: object): Promise<{ allowed: number; denied: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'concurrency-worker.ts'), JSON.stringify(input)],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`worker exited ${code}: ${stderr}`)),
    );
  });
}

describe.each<StoreKind>(['redis', 'postgres'])('%s counter store', (kind) => {
  let target: StoreTarget;
  let store: CounterStore;
  let keyCounter = 0;
  const freshKey = () => `k${++keyCounter}`;

  beforeAll(() => {
    target = { kind, url: kind === 'redis' ? REDIS_URL : database.url, keyPrefix: `${runPrefix}${kind}:` };
    store = openStore(target);
  });
  afterAll(async () => {
    await store?.close();
    if (kind === 'redis') {
      // Keys expire on their own; deleting them keeps a shared Redis tidy right away.
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${target.keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });

  it('allows exactly max out of 200 concurrent consumers in two processes', async () => {
    const key = freshKey();
    const common = { ...target, key, max: 30, windowMs: 60_000, consumers: 100, startAt: Date.now() + 2500 };
    const results = await Promise.all([runWorker(common), runWorker(common)]);
    expect(results.reduce((sum, r) => sum + r.allowed, 0)).toBe(30);
    expect(results.reduce((sum, r) => sum + r.denied, 0)).toBe(170);
    const after = await store.reserve([{ key, windowMs: 60_000, max: 30 }]);
    expect(after.ok).toBe(false);
  });

  it('reserves all counters or none', async () => {
    const wide: KeyedCounter = { key: freshKey(), windowMs: 60_000, max: 5 };
    const narrow: KeyedCounter = { key: freshKey(), windowMs: 60_000, max: 2 };
    expect((await store.reserve([wide, narrow])).ok).toBe(true);
    expect((await store.reserve([wide, narrow])).ok).toBe(true);
    const third = await store.reserve([wide, narrow]);
    expect(third).toMatchObject({ ok: false, counter: narrow });
    // The failed reserve took nothing from `wide`: 3 slots remain.
    for (let i = 0; i < 3; i++) expect((await store.reserve([wide])).ok).toBe(true);
    expect(await store.reserve([wide])).toMatchObject({ ok: false, counter: wide });
  });

  it('treats a key repeated in one reserve as one counter with the strictest max', async () => {
    const key = freshKey();
    const loose = { key, windowMs: 60_000, max: 10, name: 'loose' };
    const strict = { key, windowMs: 60_000, max: 1, name: 'strict' };
    expect((await store.reserve([loose, strict])).ok).toBe(true);
    expect(await store.reserve([loose, strict])).toMatchObject({ ok: false, counter: { name: 'strict' } });
    expect((await store.reserve([loose])).ok).toBe(true);
  });

  it('release gives a slot back; release after commit does not', async () => {
    const counter = { key: freshKey(), windowMs: 60_000, max: 2 };
    const first = await store.reserve([counter]);
    const second = await store.reserve([counter]);
    if (!first.ok || !second.ok) throw new Error('expected both reserves to succeed');
    expect((await store.reserve([counter])).ok).toBe(false);
    await store.release(second.reservation);
    await store.release(second.reservation); // idempotent
    const third = await store.reserve([counter]);
    expect(third.ok).toBe(true);
    if (!third.ok) return;
    await store.commit(first.reservation);
    await store.release(first.reservation); // ignored: the call went ahead
    expect((await store.reserve([counter])).ok).toBe(false);
  });

  it('slides the window (explicit clock) and reports when a slot frees', async () => {
    const counter = { key: freshKey(), windowMs: 1000, max: 2 };
    const t0 = 1_900_000_000_000;
    expect((await store.reserve([counter], t0)).ok).toBe(true);
    expect((await store.reserve([counter], t0 + 400)).ok).toBe(true);
    expect(await store.reserve([counter], t0 + 500)).toMatchObject({ ok: false, retryAfterMs: 500 });
    expect(await store.reserve([counter], t0 + 999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    // At t0 + 1000 the first entry has slid out (entries count while newer than now - window).
    expect((await store.reserve([counter], t0 + 1000)).ok).toBe(true);
    expect(await store.reserve([counter], t0 + 1100)).toMatchObject({ ok: false, retryAfterMs: 300 });
    expect((await store.reserve([counter], t0 + 1400)).ok).toBe(true);
  });

  it('slides the window on the store clock (1 s window)', async () => {
    const counter = { key: freshKey(), windowMs: 1000, max: 3 };
    for (let i = 0; i < 3; i++) expect((await store.reserve([counter])).ok).toBe(true);
    const full = await store.reserve([counter]);
    expect(full.ok).toBe(false);
    if (full.ok) return;
    expect(full.retryAfterMs).toBeGreaterThan(0);
    expect(full.retryAfterMs).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, full.retryAfterMs + 50));
    expect((await store.reserve([counter])).ok).toBe(true);
  });

  it('a release that failed to reach the store can be retried (no leaked slot)', async () => {
    // A store over a client we can make fail once.
    const redis = kind === 'redis' ? new Redis(REDIS_URL) : undefined;
    const pool = kind === 'postgres' ? new pg.Pool({ connectionString: target.url }) : undefined;
    const own: CounterStore = redis
      ? new RedisCounterStore({ redis, keyPrefix: target.keyPrefix })
      : new PostgresCounterStore({ pool: pool!, keyPrefix: target.keyPrefix });
    try {
      const counter = { key: freshKey(), windowMs: 60_000, max: 1 };
      const reserved = await own.reserve([counter]);
      if (!reserved.ok) throw new Error('expected the reserve to succeed');
      if (redis) {
        const multi = redis.multi.bind(redis);
        redis.multi = (() => {
          redis.multi = multi;
          throw new Error('connection lost');
        }) as typeof redis.multi;
      } else {
        const query = pool!.query.bind(pool!);
        pool!.query = (() => {
          pool!.query = query;
          return Promise.reject(new Error('connection lost'));
        }) as unknown as pg.Pool['query'];
      }
      await expect(own.release(reserved.reservation)).rejects.toThrow('connection lost');
      await own.release(reserved.reservation);
      expect((await own.reserve([counter])).ok).toBe(true);
    } finally {
      await own.close();
      await redis?.quit();
      await pool?.end();
    }
  });

  it('accepts an empty reservation', async () => {
    const result = await store.reserve([]);
    expect(result.ok).toBe(true);
    if (result.ok) await store.release(result.reservation);
  });
});

describe('postgres counter store isolation', () => {
  it('refuses to count when connections default to REPEATABLE READ (counts would be stale), and says why', async () => {
    // Under REPEATABLE READ the count's snapshot predates the lock wait: 200 concurrent consumers
    // of a max-30 counter were allowed 49 times when this ran unchecked.
    const pool = new pg.Pool({
      connectionString: database.url,
      options: '-c default_transaction_isolation=repeatable\\ read',
    });
    const store = new PostgresCounterStore({ pool, keyPrefix: `${runPrefix}iso:` });
    try {
      await expect(store.reserve([{ key: 'k', windowMs: 60_000, max: 30 }])).rejects.toThrow(
        /need READ COMMITTED.*REPEATABLE READ/,
      );
      // Checked on every reserve until fixed, not once.
      await expect(store.reserve([{ key: 'k', windowMs: 60_000, max: 30 }])).rejects.toThrow(
        /READ COMMITTED/,
      );
      expect(
        (
          await pool.query('SELECT count(*)::int AS n FROM rate_limit_hits WHERE key LIKE $1', [
            `${runPrefix}iso:%`,
          ])
        ).rows[0].n,
      ).toBe(0);
    } finally {
      await pool.end();
    }
  });
});

describe('postgres counter store: work per reserve does not grow with the limit', () => {
  const prefix = `${runPrefix}scale:`;
  let pool: pg.Pool;
  let store: PostgresCounterStore;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    store = new PostgresCounterStore({ pool, keyPrefix: prefix });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
  });

  /** Tuples of rate_limit_hits (and its indexes) one reserve reads, from the statistics of its own transaction. */
  async function tuplesRead(counter: KeyedCounter): Promise<{ read: number; ok: boolean }> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ idx: number | null }>(
        'SELECT idx FROM portcullis_reserve_counters(NULL, $1, $2, $3, $4)',
        [[prefix + counter.key], [counter.windowMs], [counter.max], `probe-${counter.key}`],
      );
      // Index scans count against each index, heap reads against the table: all of them.
      const stats = await client.query<{ n: string }>(
        `SELECT sum(pg_stat_get_xact_tuples_returned(r.oid) + pg_stat_get_xact_tuples_fetched(r.oid)) AS n
         FROM (SELECT 'rate_limit_hits'::regclass::oid AS oid UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = 'rate_limit_hits'::regclass) AS r`,
      );
      await client.query('ROLLBACK');
      return { read: Number(stats.rows[0]!.n), ok: rows[0]!.idx === null };
    } finally {
      client.release();
    }
  }

  it('reads a handful of rows with 5,000 hits in the window, allowed or full', async () => {
    const busy = { key: 'busy', windowMs: 3_600_000, max: 1_000_000 };
    // 5,000 hits stored through the store's own reserve, in batches of concurrent calls.
    for (let i = 0; i < 5_000; i += 500)
      await Promise.all(Array.from({ length: 500 }, () => store.reserve([busy])));
    const allowed = await tuplesRead(busy);
    expect(allowed.ok).toBe(true);
    // The previous function walked the window's rows (5,000 here, twice: index and heap) looking for the max-th.
    expect(allowed.read).toBeLessThan(50);
    const full = await tuplesRead({ ...busy, max: 5_000 });
    expect(full.ok).toBe(false);
    expect(full.read).toBeLessThan(50);
  }, 120_000);

  it('keeps each counter equal to its unexpired hits through reserves, releases and expiry', async () => {
    const counter = { key: 'consistent', windowMs: 1_000, max: 5 };
    const t0 = Date.now();
    const taken = [];
    for (let i = 0; i < 5; i++) {
      const r = await store.reserve([counter], t0);
      if (!r.ok) throw new Error('expected a slot');
      taken.push(r.reservation);
    }
    expect((await store.reserve([counter], t0)).ok).toBe(false);
    await store.release(taken[0]!);
    await store.release(taken[0]!); // twice: one slot back, not two
    const counts = async () =>
      (
        await pool.query<{ hits: number; rows: number }>(
          'SELECT (SELECT hits FROM rate_limit_counters WHERE key = $1) AS hits, (SELECT count(*)::int FROM rate_limit_hits WHERE key = $1) AS rows',
          [prefix + counter.key],
        )
      ).rows[0]!;
    expect(await counts()).toEqual({ hits: 4, rows: 4 });
    expect((await store.reserve([counter], t0)).ok).toBe(true);
    expect((await store.reserve([counter], t0)).ok).toBe(false);
    // After the window, expired hits are purged by the next reserve and the counter follows.
    expect((await store.reserve([counter], t0 + 1_500)).ok).toBe(true);
    expect(await counts()).toEqual({ hits: 1, rows: 1 });
    await store.deleteExpired(t0 + 3_000);
    expect((await counts()).rows).toBe(0);
    expect((await counts()).hits ?? 0).toBe(0);
  });
});
