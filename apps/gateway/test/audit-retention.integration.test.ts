// Audit retention on a real PostgreSQL: rows past their organization's period are deleted in
// batches; pending rows and rows tied to open approvals stay; a tenant's shorter period applies and
// a longer one does not; admin events are untouched; and while the job deletes 60,000 rows, audit
// inserts at 200 calls/s through the real writer never wait on a lock the job holds.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../src/audit/audit-writer.ts';
import type { AuditRecord } from '../src/audit/audit-types.ts';
import { AuditRetention, effectiveRetentionDays } from '../src/ops/audit-retention.ts';
import { databaseUrl, seed, testDb, type Seeded } from './harness.ts';

const DAY_MS = 86_400_000;

describe('audit retention', () => {
  let pool: pg.Pool;
  let a: Seeded;
  let b: Seeded;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 6 });
    a = await seed({ transport: 'stdio', stdioTemplate: 'node-script' }, null);
    b = await seed({ transport: 'stdio', stdioTemplate: 'node-script' }, null);
  });

  afterAll(async () => {
    await pool.end();
  });

  /** `count` rows of `org` created `ageDays` ago (spread over one second), straight in SQL. */
  async function insertRows(
    org: Seeded,
    count: number,
    ageDays: number,
    extra: { outcome?: string; approvalId?: string | null; tag?: string } = {},
  ): Promise<void> {
    await pool.query(
      `INSERT INTO audit_events (id, "organizationId", "grantId", "serverId", "toolName", method, decision,
         "upstreamOutcome", "approvalId", reason, "createdAt")
       SELECT gen_random_uuid()::text, $1, $2, $3, 'echo', 'tools/call', 'allow', $4, $5, $6,
         now() - make_interval(secs => $7::float8 * 86400 + g / 1000.0)
       FROM generate_series(1, $8) AS g`,
      [
        org.organizationId,
        org.grantId,
        org.serverId,
        extra.outcome ?? 'ok',
        extra.approvalId ?? null,
        extra.tag ?? null,
        ageDays,
        count,
      ],
    );
  }

  const countRows = async (org: Seeded, where = 'true'): Promise<number> => {
    const result = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_events WHERE "organizationId" = $1 AND ${where}`,
      [org.organizationId],
    );
    return Number(result.rows[0]!.n);
  };

  it('a tenant may shorten the operator period, never lengthen it', () => {
    expect(effectiveRetentionDays(null, 90)).toBe(90);
    expect(effectiveRetentionDays(7, 90)).toBe(7);
    expect(effectiveRetentionDays(365, 90)).toBe(90);
    expect(effectiveRetentionDays(0, 90)).toBe(90);
  });

  it('removes old rows and keeps recent, pending and open-approval rows; admin events stay', async () => {
    const db = testDb();
    await db.organization.update({ where: { id: b.organizationId }, data: { auditRetentionDays: 10 } });
    const approval = (status: 'pending' | 'approved' | 'consumed' | 'denied') =>
      db.approval.create({
        data: {
          organizationId: a.organizationId,
          grantId: a.grantId,
          serverId: a.serverId,
          toolName: 'echo',
          argumentsHash: 'x',
          status,
          expiresAt: new Date(Date.now() + DAY_MS),
        },
      });
    const open = await approval('pending');
    const approved = await approval('approved');
    const consumed = await approval('consumed');
    const denied = await approval('denied');

    await insertRows(a, 2_500, 40, { tag: 'old' });
    await insertRows(a, 50, 20, { tag: 'recent' });
    await insertRows(a, 3, 35, { outcome: 'pending', tag: 'pending' });
    await insertRows(a, 2, 40, { approvalId: open.id, tag: 'open-approval' });
    await insertRows(a, 2, 40, { approvalId: approved.id, tag: 'approved-approval' });
    await insertRows(a, 2, 40, { approvalId: consumed.id, tag: 'closed-approval' });
    await insertRows(a, 2, 40, { approvalId: denied.id, tag: 'closed-approval' });
    // Pending rows stay a 7-day grace past the period (35 days < 30 + 7); one far past it is a call
    // whose completion was lost (the gateway stopped mid-call).
    await insertRows(a, 1, 60, { outcome: 'pending', tag: 'lost-pending' });
    // Organization b chose 10 days: its 20-day-old rows go, its 5-day-old rows stay.
    await insertRows(b, 30, 20, { tag: 'old' });
    await insertRows(b, 30, 5, { tag: 'recent' });
    await db.adminEvent.create({
      data: {
        organizationId: a.organizationId,
        actorLabel: 'test',
        action: 'policy.publish',
        targetType: 'policy',
        createdAt: new Date(Date.now() - 400 * DAY_MS),
      },
    });

    const retention = new AuditRetention(pool, { defaultDays: 30, batchSize: 1_000, pauseMs: 0 }, (error) => {
      throw error;
    });
    const run = await retention.runOnce();
    await retention.close();

    expect(run.ran).toBe(true);
    expect(run.deleted).toBe(2_500 + 4 + 1 + 30);
    // 2,500 old rows of a in batches of 1,000: three batches for a, at least one more for b.
    expect(run.batches).toBeGreaterThanOrEqual(4);
    expect(await countRows(a, `reason = 'old'`)).toBe(0);
    expect(await countRows(a, `reason = 'recent'`)).toBe(50);
    expect(await countRows(a, `reason = 'pending'`)).toBe(3);
    expect(await countRows(a, `reason = 'open-approval'`)).toBe(2);
    expect(await countRows(a, `reason = 'approved-approval'`)).toBe(2);
    expect(await countRows(a, `reason = 'closed-approval'`)).toBe(0);
    expect(await countRows(a, `reason = 'lost-pending'`)).toBe(0);
    expect(await countRows(b, `reason = 'old'`)).toBe(0);
    expect(await countRows(b, `reason = 'recent'`)).toBe(30);
    expect(await db.adminEvent.count({ where: { organizationId: a.organizationId } })).toBe(1);
  });

  it('one replica runs the job at a time', async () => {
    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [0x50_43_52_54]);
      const retention = new AuditRetention(pool, { defaultDays: 30 }, () => undefined);
      expect(await retention.runOnce()).toEqual({ ran: false, deleted: 0, batches: 0 });
      await retention.close();
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [0x50_43_52_54]);
      holder.release();
    }
  });

  it('under 200 calls/s of audit inserts, the job never makes an insert wait on a lock', async () => {
    await pool.query(`DELETE FROM audit_events WHERE "organizationId" = $1`, [a.organizationId]);
    const OLD_ROWS = 60_000;
    await insertRows(a, OLD_ROWS, 40, { tag: 'old' });
    await pool.query('ANALYZE audit_events');

    // Every insert runs with lock_timeout 50 ms: one that waited longer on any lock would fail.
    const writerPool = new pg.Pool({
      connectionString: databaseUrl(),
      max: 4,
      options: '-c lock_timeout=50ms',
    });
    const writer = new AuditWriter(writerPool, (error) => {
      throw error;
    });
    const record = (): AuditRecord => ({
      organizationId: a.organizationId,
      grantId: a.grantId,
      serverId: a.serverId,
      toolName: 'echo',
      method: 'tools/call',
      decision: 'allow',
      ruleId: null,
      policyVersion: 1,
      reason: 'live',
      arguments: null,
      argumentsRedacted: true,
      approvalId: null,
      sessionId: null,
      requestId: null,
      upstreamOutcome: 'ok',
      createdAt: new Date(),
    });

    // Samples every 5 ms whether any backend writing audit rows is waiting on a lock (in this test's
    // database only: the server is shared with whatever else runs on the machine).
    const watcher = new pg.Client({ connectionString: databaseUrl() });
    await watcher.connect();
    let lockWaits = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const result = await watcher.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE '%audit_events%' AND pid <> pg_backend_pid()
             AND datname = current_database()`,
        );
        lockWaits += Number(result.rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    /** Inserts at 200 calls/s (one every 5 ms) until `until` says stop; returns each insert's latency. */
    const load = async (until: () => boolean): Promise<number[]> => {
      const latencies: number[] = [];
      const inserts: Promise<void>[] = [];
      const started = Date.now();
      while (!until() || Date.now() - started < 1_000) {
        // Catch up to 200 per second of elapsed time, however late the timer fires on a busy machine.
        while (inserts.length < ((Date.now() - started) * 200) / 1_000) {
          const t0 = performance.now();
          inserts.push(writer.insert(record()).then(() => void latencies.push(performance.now() - t0)));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await Promise.all(inserts);
      return latencies.sort((x, y) => x - y);
    };
    const summary = (l: number[]) => {
      const p = (q: number) => l[Math.min(l.length - 1, Math.floor(q * l.length))]!.toFixed(1);
      return `${l.length} inserts, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`;
    };

    // The same load without the job first: on a shared machine latency says more next to its baseline.
    const baseline = await load(() => true);
    let jobDone = false;
    const retention = new AuditRetention(pool, { defaultDays: 30 }, (error) => {
      throw error;
    });
    const jobStarted = Date.now();
    const job = retention.runOnce().finally(() => {
      jobDone = true;
    });
    const during = await load(() => jobDone);
    const run = await job;
    const jobMs = Date.now() - jobStarted;
    sampling = false;
    await sampler;
    await watcher.end();
    await writer.close();
    await writerPool.end();
    await retention.close();

    console.log(
      `retention: deleted ${run.deleted} rows in ${run.batches} batches (${jobMs} ms); ` +
        `without the job: ${summary(baseline)}; during it: ${summary(during)}; lock-wait samples ${lockWaits}`,
    );
    expect(run.deleted).toBe(OLD_ROWS);
    // Every insert committed (none hit the 50 ms lock_timeout) and none was seen waiting on a lock.
    expect(await countRows(a, `reason = 'live'`)).toBe(baseline.length + during.length);
    expect(lockWaits).toBe(0);
  }, 120_000);
});
