// Hourly rollups of tool calls for the overview page, so its charts read a few thousand aggregate
// rows instead of millions of audit events. The job rolls each hour once it has been closed for
// GRACE_MS (a call still pending then is counted as pending), one hour per transaction, under a
// transaction-scoped advisory lock so one dashboard replica at a time does it; the overview reads the
// hours not rolled yet straight from audit_events. Rollups older than the organization's audit
// retention are deleted with it.
import type { Db } from '@portcullis/db/client';
import { Prisma } from '@portcullis/db/types';

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything above. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000,
];
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;
export const GRACE_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;
/** Hours rolled per run, so a first run over a long history spreads its work. */
const HOURS_PER_RUN = 48;
const LOCK_KEY = 0x70637275; // 'pcru'

/** SQL for one aggregate row's columns over audit_events rows (`e`), grouped by the caller. */
export function eventAggregates(): Prisma.Sql {
  const bounds = `ARRAY[${LATENCY_BOUNDS_MS.join(',')}]::float8[]`;
  const buckets = Array.from(
    { length: LATENCY_BUCKETS },
    (_, i) => `count(*) FILTER (WHERE width_bucket(e."latencyMs", ${bounds}) = ${i})::int`,
  ).join(', ');
  return Prisma.raw(
    `count(*)::int AS calls, count(e."latencyMs")::int AS "latencyCount",
     coalesce(sum(e."latencyMs"), 0)::float8 AS "latencySumMs", ARRAY[${buckets}] AS "latencyBuckets"`,
  );
}

/** The grouping key's columns, as stored in audit_rollups. */
export const KEY_COLUMNS = Prisma.raw(
  `coalesce(e."serverId", '') AS "serverId", coalesce(e."toolName", '') AS "toolName", e.decision,
   CASE WHEN e.decision = 'allow' THEN '' ELSE left(coalesce(e.reason, ''), 200) END AS reason`,
);

function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export async function rolledUntil(db: Db): Promise<Date | null> {
  const state = await db.auditRollupState.findUnique({ where: { id: 1 } });
  return state?.rolledUntil ?? null;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * The first event in [from, to) of any organization: one probe of the (organizationId, createdAt)
 * index per organization (audit_events has no index on createdAt alone, and needs none elsewhere).
 */
async function nextEvent(tx: Tx, from: Date, to: Date): Promise<Date | null> {
  const [row] = await tx.$queryRaw<Array<{ next: Date | null }>>`
    SELECT min(first) AS next FROM organizations o
    CROSS JOIN LATERAL (
      SELECT e."createdAt" AS first FROM audit_events e
      WHERE e."organizationId" = o.id AND e."createdAt" >= ${from} AND e."createdAt" < ${to}
      ORDER BY e."createdAt" LIMIT 1
    ) f`;
  return row?.next ?? null;
}

/**
 * Rolls the closed hours not rolled yet (at most HOURS_PER_RUN); returns how many it rolled, or null
 * when another replica holds the lock.
 */
export async function rollUp(db: Db, now = Date.now()): Promise<number | null> {
  const end = floorHour(now - GRACE_MS);
  let rolled = 0;
  for (let i = 0; i < HOURS_PER_RUN; i += 1) {
    const done = await db.$transaction(
      async (tx) => {
        // JIT compilation costs more than these index-bounded aggregates take (100+ ms against ~5 ms).
        await tx.$executeRaw`SET LOCAL jit = off`;
        const [lock] = await tx.$queryRaw<Array<{ locked: boolean }>>`
        SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS locked`;
        if (!lock?.locked) return null;
        const state = await tx.auditRollupState.findUnique({ where: { id: 1 } });
        let start = state?.rolledUntil.getTime();
        if (start === undefined) {
          // First run: from the oldest event's hour (or now, with no events).
          const oldest = await nextEvent(tx, new Date(0), new Date(end));
          start = floorHour(oldest?.getTime() ?? end);
        }
        if (start >= end) {
          if (!state) await tx.auditRollupState.create({ data: { id: 1, rolledUntil: new Date(start) } });
          return false;
        }
        // Empty stretches are skipped in one step: the next hour that has events.
        const next = await nextEvent(tx, new Date(start), new Date(end));
        const hour = next ? floorHour(next.getTime()) : end;
        if (hour < end) {
          const from = new Date(hour);
          const to = new Date(hour + HOUR_MS);
          await tx.$executeRaw`DELETE FROM audit_rollups WHERE hour = ${from}`;
          await tx.$executeRaw`
          INSERT INTO audit_rollups ("organizationId", hour, "serverId", "toolName", decision, reason,
            calls, "latencyCount", "latencySumMs", "latencyBuckets")
          SELECT o.id, ${from}::timestamptz, ${KEY_COLUMNS}, ${eventAggregates()}
          FROM organizations o
          CROSS JOIN LATERAL (
            -- OFFSET 0 keeps this a per-organization index range scan (not flattened into one
            -- join the planner may answer with a scan of the whole table).
            SELECT * FROM audit_events e
            WHERE e."organizationId" = o.id AND e."createdAt" >= ${from} AND e."createdAt" < ${to}
              AND e.method = 'tools/call'
            OFFSET 0
          ) e
          GROUP BY 1, 2, 3, 4, 5, 6`;
        }
        const until = new Date(Math.min(hour + HOUR_MS, end));
        await tx.auditRollupState.upsert({
          where: { id: 1 },
          create: { id: 1, rolledUntil: until },
          update: { rolledUntil: until },
        });
        return true;
        // A busy hour (a million calls) takes seconds to aggregate.
      },
      { timeout: 120_000 },
    );
    if (done === null) return rolled === 0 ? null : rolled;
    if (!done) break;
    rolled += 1;
  }
  return rolled;
}

/** Deletes rollups past each organization's retention (the operator's period caps the tenant's). */
export async function pruneRollups(db: Db, operatorDays: number): Promise<number> {
  const operator = operatorDays > 0 ? operatorDays : null;
  return db.$executeRaw`
    DELETE FROM audit_rollups r USING organizations o
    WHERE r."organizationId" = o.id
      AND coalesce(least(o."auditRetentionDays", ${operator}::int), o."auditRetentionDays", ${operator}::int) IS NOT NULL
      AND r.hour < now() - make_interval(days => coalesce(least(o."auditRetentionDays", ${operator}::int), o."auditRetentionDays", ${operator}::int)) - interval '1 hour'`;
}

/** The loop in the dashboard: roll up every few minutes (every replica runs it; the lock picks one). */
export function startRollupWorker(db: Db, options: { operatorDays: number; intervalMs?: number }) {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await rollUp(db);
      await pruneRollups(db, options.operatorDays);
    } catch (error) {
      console.error(`[overview] rollup: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), options.intervalMs ?? 60_000);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
