// The overview's figures for one organization and time range: rolled-up hours from audit_rollups, the
// rest (the range's ragged edges and the hours the job has not rolled yet) from audit_events through
// the (organizationId, createdAt) index, merged here. Both sources give the same rows (bucket, server,
// tool, decision, reason, calls, latency histogram), so the figures do not depend on where they came from.
import type { Db } from '@portcullis/db/client';
import { Prisma, type Decision } from '@portcullis/db/types';
import type { OrgContext } from '../../server/context';
import { KEY_COLUMNS, LATENCY_BOUNDS_MS, LATENCY_BUCKETS, eventAggregates, rolledUntil } from './rollup';

const HOUR_MS = 3_600_000;

export const RANGES = {
  '1h': { label: 'Last hour', ms: HOUR_MS, bucketMs: 5 * 60_000 },
  '24h': { label: 'Last 24 hours', ms: 24 * HOUR_MS, bucketMs: HOUR_MS },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * HOUR_MS, bucketMs: 6 * HOUR_MS },
  '30d': { label: 'Last 30 days', ms: 30 * 24 * HOUR_MS, bucketMs: 24 * HOUR_MS },
} as const;
export type RangeKey = keyof typeof RANGES;

export function parseRange(value: string | undefined): RangeKey {
  return value && value in RANGES ? (value as RangeKey) : '24h';
}

interface AggregateRow {
  bucket: Date;
  serverId: string;
  toolName: string;
  decision: Decision;
  reason: string;
  calls: number;
  latencyCount: number;
  latencySumMs: number;
  latencyBuckets: number[];
}

export interface Overview {
  from: Date;
  to: Date;
  bucketMs: number;
  series: Array<{ at: Date } & Partial<Record<Decision, number>>>;
  totals: Partial<Record<Decision, number>>;
  topTools: Array<{ server: string; tool: string; calls: number; refused: number }>;
  topDenied: Array<{ server: string; tool: string; reason: string; calls: number }>;
  latency: Array<{ server: string; calls: number; p50: number | null; p95: number | null }>;
  approvalsWaiting: number;
  /** Where the figures came from, for the page's footnote and the bench. */
  sources: { rolledHours: number; rawRanges: number };
}

function ceilTo(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}
function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/** The value below which `q` of the histogram's observations fall, interpolated inside its bucket. */
export function percentile(buckets: number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i += 1) {
    const n = buckets[i]!;
    if (n > 0 && seen + n >= rank) {
      const low = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      // The open last bucket has no upper bound: report its lower bound (a floor, said on the page).
      const high = LATENCY_BOUNDS_MS[i] ?? low;
      return low + ((high - low) * (rank - seen)) / n;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS.at(-1)!;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

function rawRows(db: Tx, organizationId: string, from: Date, to: Date, bucketMs: number) {
  return db.$queryRaw<AggregateRow[]>`
    SELECT date_bin(make_interval(secs => ${bucketMs / 1000}), e."createdAt", TIMESTAMPTZ '2000-01-01') AS bucket,
      ${KEY_COLUMNS}, ${eventAggregates()}
    FROM audit_events e
    WHERE e."organizationId" = ${organizationId} AND e."createdAt" >= ${from} AND e."createdAt" < ${to}
      AND e.method = 'tools/call'
    GROUP BY 1, 2, 3, 4, 5`;
}

function rollupRows(db: Tx, organizationId: string, from: Date, to: Date, bucketMs: number) {
  const sums = Prisma.raw(
    Array.from({ length: LATENCY_BUCKETS }, (_, i) => `sum(r."latencyBuckets"[${i + 1}])::int`).join(', '),
  );
  return db.$queryRaw<AggregateRow[]>`
    SELECT date_bin(make_interval(secs => ${bucketMs / 1000}), r.hour, TIMESTAMPTZ '2000-01-01') AS bucket,
      r."serverId", r."toolName", r.decision, r.reason, sum(r.calls)::int AS calls,
      sum(r."latencyCount")::int AS "latencyCount", sum(r."latencySumMs")::float8 AS "latencySumMs",
      ARRAY[${sums}] AS "latencyBuckets"
    FROM audit_rollups r
    WHERE r."organizationId" = ${organizationId} AND r.hour >= ${from} AND r.hour < ${to}
    GROUP BY 1, 2, 3, 4, 5`;
}

/** Which stretches of [from, to) come from rollups (whole rolled hours) and which from audit_events. */
export function plan(from: number, to: number, rolled: number | null) {
  const a = ceilTo(from, HOUR_MS);
  const b = Math.min(rolled ?? -Infinity, floorTo(to, HOUR_MS));
  if (a >= b) return { rollup: null, raw: [[from, to]] as Array<[number, number]> };
  const raw: Array<[number, number]> = [];
  if (from < a) raw.push([from, a]);
  if (b < to) raw.push([b, to]);
  return { rollup: [a, b] as [number, number], raw };
}

export async function overview(
  db: Db,
  ctx: OrgContext,
  range: RangeKey,
  now = Date.now(),
): Promise<Overview> {
  const { ms, bucketMs } = RANGES[range];
  // Whole buckets: the first starts at or before now - range, the last holds now.
  const to = floorTo(now, bucketMs) + bucketMs;
  const from = to - Math.ceil(ms / bucketMs) * bucketMs;
  // A bucket smaller than an hour cannot come from hourly rollups.
  const rolled = bucketMs >= HOUR_MS ? ((await rolledUntil(db))?.getTime() ?? null) : null;
  const p = plan(from, to, rolled);
  const org = ctx.organizationId;
  const [parts, approvalsWaiting] = await Promise.all([
    db.$transaction(
      async (tx) => {
        // JIT compilation costs more than these index-bounded aggregates take.
        await tx.$executeRaw`SET LOCAL jit = off`;
        const out: AggregateRow[][] = [];
        if (p.rollup)
          out.push(await rollupRows(tx, org, new Date(p.rollup[0]), new Date(p.rollup[1]), bucketMs));
        for (const [a, b] of p.raw) out.push(await rawRows(tx, org, new Date(a), new Date(b), bucketMs));
        return out;
        // Reading unrolled hours straight from audit_events (the job behind) can take seconds.
      },
      { timeout: 60_000 },
    ),
    db.approval.count({
      where: { organizationId: org, status: 'pending', expiresAt: { gt: new Date(now) } },
    }),
  ]);
  const rows = parts.flat();
  const serverIds = [...new Set(rows.map((r) => r.serverId).filter(Boolean))];
  const servers = new Map(
    (
      await db.mcpServer.findMany({
        where: { organizationId: org, id: { in: serverIds } },
        select: { id: true, name: true },
      })
    ).map((s) => [s.id, s.name]),
  );
  const serverName = (id: string) => (id ? (servers.get(id) ?? 'deleted server') : '—');

  const byBucket = new Map<number, Partial<Record<Decision, number>>>();
  for (let t = from; t < to; t += bucketMs) byBucket.set(t, {});
  const totals: Partial<Record<Decision, number>> = {};
  const tools = new Map<string, { server: string; tool: string; calls: number; refused: number }>();
  const denied = new Map<string, { server: string; tool: string; reason: string; calls: number }>();
  const latency = new Map<string, { calls: number; buckets: number[] }>();
  for (const r of rows) {
    const slot = byBucket.get(r.bucket.getTime());
    if (slot) slot[r.decision] = (slot[r.decision] ?? 0) + r.calls;
    totals[r.decision] = (totals[r.decision] ?? 0) + r.calls;
    const server = serverName(r.serverId);
    const toolKey = `${r.serverId}\u0000${r.toolName}`;
    const t = tools.get(toolKey) ?? { server, tool: r.toolName || '—', calls: 0, refused: 0 };
    t.calls += r.calls;
    if (r.decision !== 'allow') t.refused += r.calls;
    tools.set(toolKey, t);
    if (r.decision === 'deny') {
      const key = `${toolKey}\u0000${r.reason}`;
      const d = denied.get(key) ?? { server, tool: r.toolName || '—', reason: r.reason || '—', calls: 0 };
      d.calls += r.calls;
      denied.set(key, d);
    }
    if (r.decision === 'allow' && r.latencyCount > 0) {
      const l = latency.get(server) ?? { calls: 0, buckets: new Array<number>(LATENCY_BUCKETS).fill(0) };
      l.calls += r.latencyCount;
      r.latencyBuckets.forEach((n, i) => (l.buckets[i]! += n));
      latency.set(server, l);
    }
  }
  const top = <T extends { calls: number }>(m: Map<string, T>) =>
    [...m.values()].sort((x, y) => y.calls - x.calls).slice(0, 10);
  return {
    from: new Date(from),
    to: new Date(to),
    bucketMs,
    series: [...byBucket.entries()].map(([at, counts]) => ({ at: new Date(at), ...counts })),
    totals,
    topTools: top(tools),
    topDenied: top(denied),
    latency: [...latency.entries()]
      .map(([server, l]) => ({
        server,
        calls: l.calls,
        p50: percentile(l.buckets, 0.5),
        p95: percentile(l.buckets, 0.95),
      }))
      .sort((x, y) => y.calls - x.calls),
    approvalsWaiting,
    sources: { rolledHours: p.rollup ? (p.rollup[1] - p.rollup[0]) / HOUR_MS : 0, rawRanges: p.raw.length },
  };
}
