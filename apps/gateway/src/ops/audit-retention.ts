// Audit retention: deletes each organization's audit events older than its retention period, in
// small batches (one short autocommit DELETE each, rows picked through the (organization, createdAt)
// index, SKIP LOCKED), so no statement holds locks long and audit inserts never queue behind it.
// Chosen over native partitioning: partitions would put createdAt in the primary key (every lookup
// by id, the reserving insert function and Prisma's unique id would change) and only pay off at a
// scale where batch deletes fall behind; see docs/operations.md for the figures.
// Admin events (admin_events) are a separate table and never touched here.
import type pg from 'pg';

const DAY_MS = 86_400_000;
/** One replica runs the job at a time (pg_try_advisory_lock; other replicas skip that round). */
const RETENTION_LOCK_KEY = 0x50_43_52_54; // "PCRT"
/**
 * A row still `pending` past its period is a call whose completion was lost (the gateway stopped
 * mid-call); it is kept this much longer, so a row is never removed while its call may still be running.
 */
const PENDING_GRACE_MS = 7 * DAY_MS;

export interface AuditRetentionOptions {
  /** The operator's period (AUDIT_RETENTION_DAYS): the default, and the longest any tenant gets. */
  defaultDays: number;
  /** Rows per DELETE; small enough that one statement takes milliseconds. */
  batchSize?: number;
  /** Least pause between batches; the pause is at least as long as the batch took (the job uses at most half of a core). */
  pauseMs?: number;
  now?: () => number;
}

export interface RetentionRun {
  /** False when another replica held the job's lock (nothing was done). */
  ran: boolean;
  deleted: number;
  batches: number;
}

/** The period that applies: the tenant's own when shorter than the operator's, never longer. */
export function effectiveRetentionDays(organizationDays: number | null, defaultDays: number): number {
  if (organizationDays === null || !Number.isInteger(organizationDays) || organizationDays < 1)
    return defaultDays;
  return Math.min(organizationDays, defaultDays);
}

// Rows tied to an approval still open (pending, or approved and not yet used) stay: the call it
// is for may still come back, and its row is where the approver's decision is explained.
const DELETE_BATCH_SQL = `
DELETE FROM audit_events WHERE id IN (
  SELECT a.id FROM audit_events a
  WHERE a."organizationId" = $1 AND a."createdAt" < $2
    AND (a."upstreamOutcome" <> 'pending' OR a."createdAt" < $3)
    AND (a."approvalId" IS NULL OR NOT EXISTS (
      SELECT 1 FROM approvals p WHERE p.id = a."approvalId" AND p.status IN ('pending', 'approved')))
  ORDER BY a."createdAt"
  LIMIT $4
  FOR UPDATE SKIP LOCKED)`;

export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun> | undefined;
  private closed = false;
  private readonly batchSize: number;
  private readonly pauseMs: number;
  private readonly now: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: AuditRetentionOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.batchSize = options.batchSize ?? 1_000;
    this.pauseMs = options.pauseMs ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Runs every intervalMs (first run after one interval); errors are reported and the next round retries. */
  start(intervalMs: number): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.runOnce().catch(this.onError);
    }, intervalMs);
    this.timer.unref();
  }

  /** One pass over every organization; concurrent callers share the pass in progress. */
  runOnce(): Promise<RetentionRun> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<RetentionRun> {
    const client = await this.pool.connect();
    let locked = false;
    try {
      const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        RETENTION_LOCK_KEY,
      ]);
      locked = lock.rows[0]?.locked === true;
      if (!locked) return { ran: false, deleted: 0, batches: 0 };
      const orgs = await client.query<{ id: string; days: number | null }>(
        'SELECT id, "auditRetentionDays" AS days FROM organizations ORDER BY id',
      );
      let deleted = 0;
      let batches = 0;
      for (const org of orgs.rows) {
        const days = effectiveRetentionDays(org.days, this.options.defaultDays);
        const cutoff = this.now() - days * DAY_MS;
        for (;;) {
          if (this.closed) return { ran: true, deleted, batches };
          const batchStarted = performance.now();
          const result = await client.query(DELETE_BATCH_SQL, [
            org.id,
            new Date(cutoff),
            new Date(cutoff - PENDING_GRACE_MS),
            this.batchSize,
          ]);
          batches += 1;
          deleted += result.rowCount ?? 0;
          if ((result.rowCount ?? 0) < this.batchSize) break;
          // A slow batch means a busy database: wait as long again before the next, so calls come first.
          const pause = Math.max(this.pauseMs, performance.now() - batchStarted);
          if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
      return { ran: true, deleted, batches };
    } finally {
      if (locked)
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]).catch(() => undefined);
      client.release();
    }
  }
}
