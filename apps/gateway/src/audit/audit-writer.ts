// The one module that writes audit events. Inserts are group-committed: calls that arrive while a
// batch is being written wait for the next batch, so under load many calls share one INSERT, and
// each caller resumes only after the row that describes its call is durably stored. Completions
// (outcome, latency) are collected for up to COMPLETION_DELAY_MS and written in one UPDATE; nobody
// waits for them, close() flushes them, and a crash leaves the rows `pending` (true to what we know).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

export type AuditDecision = 'allow' | 'deny' | 'hide' | 'require_approval' | 'rate_limited' | 'error';
export type UpstreamOutcome = 'pending' | 'not_sent' | 'ok' | 'tool_error' | 'error' | 'timeout';

export interface AuditRecord {
  organizationId: string;
  grantId: string | null;
  serverId: string | null;
  toolName: string | null;
  method: string;
  decision: AuditDecision;
  ruleId: string | null;
  policyVersion: number | null;
  reason: string | null;
  arguments: unknown;
  argumentsRedacted: boolean;
  approvalId: string | null;
  sessionId: string | null;
  requestId: string | null;
  upstreamOutcome: UpstreamOutcome;
  upstreamError?: string | null;
  latencyMs?: number | null;
  createdAt: Date;
}

export interface AuditCompletion {
  id: string;
  outcome: UpstreamOutcome;
  error: string | null;
  latencyMs: number;
}

interface PendingInsert {
  id: string;
  record: AuditRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 500;
const COMPLETION_DELAY_MS = 50;
/** Refusals kept in memory while the store is down; beyond this the oldest go (and are counted). */
const MAX_DEFERRED = 10_000;
const DEFERRED_RETRY_MS = 500;

// One parameter, a JSON array of rows: one JSON.stringify per batch instead of twenty array
// literals, and a named statement, so each connection parses and plans it once.
const INSERT_STATEMENT = 'portcullis_audit_insert';
const INSERT_SQL = `
INSERT INTO audit_events (id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
  "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
  "upstreamOutcome", "upstreamError", "latencyMs", "createdAt", "completedAt")
SELECT id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
  "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
  "upstreamOutcome", "upstreamError", "latencyMs", "createdAt", "completedAt"
FROM json_to_recordset($1::json) AS r(id text, "organizationId" text, "grantId" text, "serverId" text, "toolName" text,
  method text, decision "Decision", "ruleId" text, "policyVersion" int4, reason text, arguments jsonb, "argumentsRedacted" bool,
  "approvalId" text, "sessionId" text, "requestId" text, "upstreamOutcome" text, "upstreamError" text, "latencyMs" float8,
  "createdAt" timestamptz, "completedAt" timestamptz)`;

const COMPLETE_SQL = `
UPDATE audit_events AS a SET "upstreamOutcome" = c.outcome, "upstreamError" = c.error, "latencyMs" = c.latency, "completedAt" = c.done
FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::timestamptz[]) AS c(id, outcome, error, latency, done)
WHERE a.id = c.id`;

export class AuditWriter {
  private queue: PendingInsert[] = [];
  private completions: AuditCompletion[] = [];
  private inserting: Promise<void> | undefined;
  private completing: Promise<void> | undefined;
  private closed = false;
  private wakeCompletions: (() => void) | undefined;
  private deferred: AuditRecord[] = [];
  private deferredTimer: NodeJS.Timeout | undefined;
  /** Deferred records given up (buffer full, or still unwritable at close). */
  lostRecords = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Resolves with the event id once the row is committed; rejects when the store is unavailable. */
  insert(record: AuditRecord): Promise<string> {
    if (this.closed) return Promise.reject(new Error('Audit writer is closed'));
    return this.insertQueued(record);
  }

  /**
   * For calls that are refused either way: a record the store cannot take now (it is down) is kept
   * and written once it is back, so an outage does not leave refusals out of the audit log. Calls
   * that are forwarded use insert(), which must succeed first.
   */
  async insertOrDefer(record: AuditRecord): Promise<'written' | 'deferred'> {
    try {
      await this.insert(record);
      return 'written';
    } catch {
      this.defer([record]);
      return 'deferred';
    }
  }

  get deferredCount(): number {
    return this.deferred.length;
  }

  private defer(records: AuditRecord[]): void {
    this.deferred.push(...records);
    const excess = this.deferred.length - MAX_DEFERRED;
    if (excess > 0) {
      this.deferred.splice(0, excess);
      this.lostRecords += excess;
    }
    if (!this.deferredTimer && !this.closed) {
      this.deferredTimer = setTimeout(() => void this.writeDeferred(), DEFERRED_RETRY_MS);
      this.deferredTimer.unref();
    }
  }

  private async writeDeferred(): Promise<void> {
    this.deferredTimer = undefined;
    const batch = this.deferred.splice(0, MAX_BATCH);
    const results = await Promise.allSettled(batch.map((record) => this.insertQueued(record)));
    const failed = batch.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length > 0) this.defer(failed);
    else if (this.deferred.length > 0) await this.writeDeferred();
  }

  private insertQueued(record: AuditRecord): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id, record, resolve: () => resolve(id), reject });
      if (!this.inserting) this.inserting = this.drainInserts();
    });
  }

  private async drainInserts(): Promise<void> {
    // Let calls that arrive in the same tick join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.pool.query({ name: INSERT_STATEMENT, text: INSERT_SQL, values: [insertParam(batch)] });
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    this.inserting = undefined;
  }

  /** Records the outcome of a forwarded call; not awaited by the call, flushed on close. */
  complete(completion: AuditCompletion): void {
    this.completions.push(completion);
    if (!this.completing) this.completing = this.drainCompletions();
  }

  private async drainCompletions(): Promise<void> {
    // One UPDATE per interval instead of one per call: each write to the database costs a round trip.
    await new Promise<void>((resolve) => {
      this.wakeCompletions = resolve;
      setTimeout(resolve, this.closed ? 0 : COMPLETION_DELAY_MS);
    });
    this.wakeCompletions = undefined;
    while (this.completions.length > 0) {
      const batch = this.completions.splice(0, MAX_BATCH);
      const done = new Date();
      try {
        await this.pool.query(COMPLETE_SQL, [
          batch.map((c) => c.id),
          batch.map((c) => c.outcome),
          batch.map((c) => c.error),
          batch.map((c) => c.latencyMs),
          batch.map(() => done),
        ]);
      } catch (error) {
        // The rows stay `pending`, which is true to what we know; retry once the store is back.
        this.onError(error);
        if (!this.closed) {
          this.completions.unshift(...batch);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    }
    this.completing = undefined;
  }

  async flush(): Promise<void> {
    this.wakeCompletions?.();
    while (this.inserting || this.completing) await Promise.all([this.inserting, this.completing]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.deferredTimer) clearTimeout(this.deferredTimer);
    this.deferredTimer = undefined;
    // One last try for refusals recorded during an outage.
    if (this.deferred.length > 0) {
      const batch = this.deferred.splice(0);
      const results = await Promise.allSettled(batch.map((record) => this.insertQueued(record)));
      this.lostRecords += results.filter((r) => r.status === 'rejected').length;
    }
    await this.flush();
  }
}

/** A `\uD8xx`-style escape not preceded by an escaping backslash: JSON.stringify writes lone surrogates so. */
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

function insertParam(batch: PendingInsert[]): string {
  const now = new Date();
  const json = JSON.stringify(
    batch.map(({ id, record: r }) => ({
      id,
      organizationId: r.organizationId,
      grantId: r.grantId,
      serverId: r.serverId,
      toolName: r.toolName,
      method: r.method,
      decision: r.decision,
      ruleId: r.ruleId,
      policyVersion: r.policyVersion,
      reason: r.reason,
      arguments: r.arguments ?? null,
      argumentsRedacted: r.argumentsRedacted,
      approvalId: r.approvalId,
      sessionId: r.sessionId,
      requestId: r.requestId,
      upstreamOutcome: r.upstreamOutcome,
      upstreamError: r.upstreamError ?? null,
      latencyMs: r.latencyMs ?? null,
      createdAt: r.createdAt,
      completedAt: r.upstreamOutcome === 'pending' ? null : now,
    })),
  );
  // PostgreSQL refuses lone surrogates in JSON; as text parameters they became U+FFFD, so keep that
  // (one agent's odd tool name or request id must not fail the batch that carries other calls' rows).
  return json.includes('\\ud') ? json.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd') : json;
}
