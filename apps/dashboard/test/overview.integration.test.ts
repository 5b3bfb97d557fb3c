// The overview's figures: the same whether an hour comes from audit_events or from the rollups, one
// organization's calls never in another's, percentiles from the histogram, the job's lock and pruning.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';

const { overview, percentile, plan } = await import('../src/modules/overview/overview.ts');
const { rollUp, pruneRollups, rolledUntil, LATENCY_BOUNDS_MS } =
  await import('../src/modules/overview/rollup.ts');

const HOUR = 3_600_000;

beforeEach(async () => {
  await resetDatabase();
  await db.$executeRawUnsafe('TRUNCATE audit_rollups, audit_rollup_state');
});

/** Calls spread over the last `hours` hours: every 7th denied with one of two reasons, latencies varied. */
async function seedCalls(organizationId: string, hours: number, perHour: number, now: number) {
  const twikit = await seedServer(organizationId, `Twikit ${Math.random()}`);
  const github = await seedServer(organizationId, `GitHub ${Math.random()}`);
  const data = [];
  for (let h = 0; h < hours; h += 1)
    for (let i = 0; i < perHour; i += 1) {
      const n = h * perHour + i;
      const denied = n % 7 === 0;
      const server = n % 3 === 0 ? github : twikit;
      data.push({
        organizationId,
        serverId: server.id,
        method: 'tools/call',
        toolName: denied ? 'delete_tweet' : n % 2 ? 'get_tweet' : 'leave_community',
        decision: denied ? ('deny' as const) : n % 11 === 0 ? ('rate_limited' as const) : ('allow' as const),
        reason: denied ? (n % 2 ? 'destructive' : 'not on weekends') : null,
        upstreamOutcome: denied ? 'not_sent' : 'ok',
        latencyMs: denied ? null : (n % 50) * 3 + (server === github ? 40 : 2),
        createdAt: new Date(now - (h + 1) * HOUR + ((i * 997) % HOUR)),
      });
    }
  // Not a tool call: counted nowhere on the overview.
  data.push({
    organizationId,
    method: 'tools/list',
    decision: 'allow' as const,
    createdAt: new Date(now - HOUR),
  });
  await db.auditEvent.createMany({ data });
  return data.filter((d) => d.method === 'tools/call');
}

describe('overview', () => {
  it('gives the same figures from raw events and from rollups, and never another organization’s', async () => {
    const now = Date.now();
    const a = await newOwner('A');
    const b = await newOwner('B');
    const calls = await seedCalls(a.ctx.organizationId, 30, 40, now);
    await seedCalls(b.ctx.organizationId, 30, 25, now);

    const raw = await overview(db, a.ctx, '7d', now);
    expect(raw.sources.rolledHours).toBe(0);
    expect(await rollUp(db, now)).toBeGreaterThan(0);
    // The first run rolls 48 hours at most; a second finishes (the job runs every minute).
    await rollUp(db, now);
    expect((await rolledUntil(db))!.getTime()).toBe(Math.floor((now - 15 * 60_000) / HOUR) * HOUR);
    const rolled = await overview(db, a.ctx, '7d', now);
    expect(rolled.sources.rolledHours).toBeGreaterThan(20);
    const { sources: _r, ...fromRaw } = raw;
    const { sources: _s, ...fromRollups } = rolled;
    expect(fromRollups).toEqual(fromRaw);

    // The figures are this organization's calls, counted right.
    const total = Object.values(rolled.totals).reduce((x, y) => x + (y ?? 0), 0);
    expect(total).toBe(calls.length);
    expect(rolled.totals.deny).toBe(calls.filter((c) => c.decision === 'deny').length);
    expect(rolled.series.reduce((x, s) => x + (s.allow ?? 0), 0)).toBe(rolled.totals.allow);
    expect(new Set(rolled.topDenied.map((d) => d.reason))).toEqual(
      new Set(['destructive', 'not on weekends']),
    );
    expect(rolled.topDenied.reduce((x, d) => x + d.calls, 0)).toBe(rolled.totals.deny);
    expect(rolled.topTools[0]!.calls).toBeGreaterThanOrEqual(rolled.topTools.at(-1)!.calls);
    expect(rolled.latency).toHaveLength(2);
    const github = rolled.latency.find((l) => l.server.startsWith('GitHub'))!;
    const twikit = rolled.latency.find((l) => l.server.startsWith('Twikit'))!;
    expect(github.p50!).toBeGreaterThan(twikit.p50!);
    expect(github.p95!).toBeGreaterThanOrEqual(github.p50!);

    // B's own page shows only B's calls.
    const bView = await overview(db, b.ctx, '7d', now);
    expect(Object.values(bView.totals).reduce((x, y) => x + (y ?? 0), 0)).toBe(30 * 25);
  });

  it('the 24-hour view with one-hour bars and the last hour with 5-minute bars, approvals waiting counted', async () => {
    const now = Date.now();
    const { ctx } = await newOwner();
    const calls = await seedCalls(ctx.organizationId, 30, 10, now);
    await rollUp(db, now);
    await rollUp(db, now);
    const day = await overview(db, ctx, '24h', now);
    expect(day.series).toHaveLength(24);
    expect(day.bucketMs).toBe(HOUR);
    const inDay = calls.filter((c) => c.createdAt.getTime() >= day.from.getTime()).length;
    expect(Object.values(day.totals).reduce((x, y) => x + (y ?? 0), 0)).toBe(inDay);
    const hour = await overview(db, ctx, '1h', now);
    expect(hour.series).toHaveLength(12);
    expect(hour.sources.rolledHours).toBe(0);
    expect(day.approvalsWaiting).toBe(0);
  });

  it('plans whole rolled hours from rollups and the edges from events', () => {
    expect(plan(0.5 * HOUR, 10.5 * HOUR, 8 * HOUR)).toEqual({
      rollup: [HOUR, 8 * HOUR],
      raw: [
        [0.5 * HOUR, HOUR],
        [8 * HOUR, 10.5 * HOUR],
      ],
    });
    expect(plan(0, 5 * HOUR, null)).toEqual({ rollup: null, raw: [[0, 5 * HOUR]] });
  });

  it('percentiles from the histogram fall in the right bucket', () => {
    const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    buckets[3] = 90; // 5–10 ms
    buckets[6] = 10; // 50–100 ms
    expect(percentile(buckets, 0.5)).toBeGreaterThan(5);
    expect(percentile(buckets, 0.5)).toBeLessThanOrEqual(10);
    expect(percentile(buckets, 0.95)).toBeGreaterThan(50);
    expect(percentile(buckets, 0.95)).toBeLessThanOrEqual(100);
    expect(percentile(new Array<number>(16).fill(0), 0.5)).toBeNull();
  });

  it('two replicas rolling at once count every call once; rollups past retention are deleted', async () => {
    const now = Date.now();
    const { ctx } = await newOwner();
    const calls = await seedCalls(ctx.organizationId, 10, 20, now);
    await Promise.all([rollUp(db, now), rollUp(db, now), rollUp(db, now)]);
    await rollUp(db, now);
    const [row] = await db.$queryRaw<Array<{ sum: number }>>`
      SELECT coalesce(sum(calls), 0)::int AS sum FROM audit_rollups WHERE "organizationId" = ${ctx.organizationId}`;
    const rolledCalls = calls.filter(
      (c) => c.createdAt.getTime() < Math.floor((now - 15 * 60_000) / HOUR) * HOUR,
    ).length;
    expect(row?.sum).toBe(rolledCalls);

    const old = {
      organizationId: ctx.organizationId,
      hour: new Date(Math.floor((now - 3 * 24 * HOUR) / HOUR) * HOUR),
      serverId: '',
      toolName: 'old_tool',
      decision: 'allow' as const,
      reason: '',
      calls: 5,
      latencyCount: 0,
      latencySumMs: 0,
      latencyBuckets: new Array<number>(16).fill(0),
    };
    await db.auditRollup.create({ data: old });
    const recent = await db.auditRollup.count({ where: { organizationId: ctx.organizationId } });
    // Within the operator's 90 days: kept.
    expect(await pruneRollups(db, 90)).toBe(0);
    // The organization keeps 1 day: the 3-day-old row goes, the rest stays.
    await db.organization.update({ where: { id: ctx.organizationId }, data: { auditRetentionDays: 1 } });
    expect(await pruneRollups(db, 90)).toBe(1);
    expect(await db.auditRollup.count({ where: { organizationId: ctx.organizationId } })).toBe(recent - 1);
    // An operator period shorter than the tenant's wins.
    await db.auditRollup.create({ data: old });
    await db.organization.update({ where: { id: ctx.organizationId }, data: { auditRetentionDays: 30 } });
    expect(await pruneRollups(db, 2)).toBe(1);
  });
});
