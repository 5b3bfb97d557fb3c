// The one module that writes audit events. Inserts are group-committed: calls that arrive while a
// batch is being written wait for the next batch, so under load many calls share one INSERT, and
// each caller resumes only after the row that describes its call is durably stored. Completions
// (outcome, latency) are collected for up to COMPLETION_DELAY_MS and written in one UPDATE; nobody
// waits for them, close() flushes them, and a crash leaves the rows `pending` (true to what we know).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { errorText, insertParam, insertRow, isRowError, MAX_BATCH, safeForm } from './audit-rows.ts';
import {
  UnstorableAuditRecordError,
  type AuditCompletion,
  type AuditRecord,
  type InlineReservationSpec,
  type RefusedReservation,
} from './audit-types.ts';
import { DeferredRecords } from './deferred-records.ts';
import { storableJson, storableText } from './storable-text.ts';

interface PendingInsert {
  id: string;
  record: AuditRecord;
  reserve?: InlineReservationSpec | undefined;
  refused?: RefusedReservation | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const COMPLETION_DELAY_MS = 50;

// One parameter, a JSON array of rows: one JSON.stringify per batch instead of twenty array
// literals, and a named statement, so each connection parses and plans it once.
const INSERT_STATEMENT = 'portcullis_audit_insert';
const INSERT_SQL = `
INSERT INTO audit_events (id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
  "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
  "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", guards, "traceId", "toolsetId", "createdAt", "completedAt")
SELECT id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
  "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
  "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", guards, "traceId", "toolsetId", "createdAt", "completedAt"
FROM json_to_recordset($1::json) AS r(id text, "organizationId" text, "grantId" text, "serverId" text, "toolName" text,
  method text, decision "Decision", "ruleId" text, "policyVersion" int4, reason text, arguments jsonb, "argumentsRedacted" bool,
  "approvalId" text, "sessionId" text, "requestId" text, "protocolVersion" text, "upstreamOutcome" text, "upstreamError" text, "latencyMs" float8,
  guards jsonb, "traceId" text, "toolsetId" text, "createdAt" timestamptz, "completedAt" timestamptz)`;

// The same rows with rate-limit reservations taken first, in one statement (migration
// 20261203133431_audit_insert_reserving): rows whose reservation found a counter full come back, unwritten.
const INSERT_RESERVING_STATEMENT = 'portcullis_audit_insert_reserving';
const INSERT_RESERVING_SQL =
  'SELECT row_n, counter_idx, frees_at_ms, now_ms FROM portcullis_audit_insert_reserving($1::json, $2::json)';

const COMPLETE_SQL = `
UPDATE audit_events AS a SET "upstreamOutcome" = c.outcome, "upstreamError" = c.error, "latencyMs" = c.latency, "completedAt" = c.done,
  result = COALESCE(c.result, a.result), guards = COALESCE(c.guards, a.guards)
FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::timestamptz[], $6::jsonb[], $7::jsonb[])
  AS c(id, outcome, error, latency, done, result, guards)
WHERE a.id = c.id`;

export class AuditWriter {
  private queue: PendingInsert[] = [];
  private completions: AuditCompletion[] = [];
  private inserting: Promise<void> | undefined;
  private completing: Promise<void> | undefined;
  private closed = false;
  private wakeCompletions: (() => void) | undefined;
  /** Refusals the store could not take (it was down), written once it is back. */
  private readonly deferred: DeferredRecords;
  /** Records PostgreSQL refused even in their safe form; logged through onError instead. */
  quarantinedRecords = 0;

  constructor(
    private readonly pool: pg.Pool,
    /** Called with what went wrong; `message` says what it means when it is not a completion retry. */
    private readonly onError: (error: unknown, message?: string) => void,
  ) {
    this.deferred = new DeferredRecords((record) => this.insertQueued(record), onError);
  }

  /** Deferred records given up (buffer full, retried for too long, or still unwritable at close). */
  get lostRecords(): number {
    return this.deferred.lostRecords;
  }

  /** Resolves with the event id once the row is committed; rejects when the store is unavailable. */
  insert(record: AuditRecord): Promise<string> {
    if (this.closed) return Promise.reject(new Error('Audit writer is closed'));
    return this.insertQueued(record).then((id) => {
      this.storeIsBack();
      return id;
    });
  }

  /**
   * Takes a rate-limit reservation and inserts the row in one statement, in the same group commit
   * as other calls' rows: one round trip and one commit for both. When a counter is full, nothing
   * is written (neither slot nor row) and the refusal comes back for the caller to record.
   */
  insertReserving(
    record: AuditRecord,
    reserve: InlineReservationSpec,
  ): Promise<{ id: string; refused: RefusedReservation | undefined }> {
    if (this.closed) return Promise.reject(new Error('Audit writer is closed'));
    const id = randomUUID();
    return new Promise<{ id: string; refused: RefusedReservation | undefined }>((resolve, reject) => {
      const item: PendingInsert = {
        id,
        record,
        reserve,
        resolve: () => resolve({ id, refused: item.refused }),
        reject,
      };
      this.queue.push(item);
      if (!this.inserting) this.inserting = this.drainInserts();
    }).then((outcome) => {
      this.storeIsBack();
      return outcome;
    });
  }

  /**
   * For calls that are refused either way: a record the store cannot take now (it is down) is kept
   * and written once it is back, so an outage does not leave refusals out of the audit log. Calls
   * that are forwarded use insert(), which must succeed first.
   */
  async insertOrDefer(record: AuditRecord): Promise<'written' | 'deferred' | 'quarantined'> {
    try {
      await this.insert(record);
      return 'written';
    } catch (error) {
      // A record the store refuses for what it holds would be refused forever: it is logged instead.
      if (error instanceof UnstorableAuditRecordError) return 'quarantined';
      this.deferred.add(record);
      return 'deferred';
    }
  }

  get deferredCount(): number {
    return this.deferred.count;
  }

  /** A write went through, so the store is back: deferred records need not wait out their backoff. */
  private storeIsBack(): void {
    this.deferred.storeIsBack();
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
        await this.insertRows(batch);
        for (const item of batch) item.resolve();
      } catch (error) {
        if (!isRowError(error)) {
          for (const item of batch) item.reject(error);
          continue;
        }
        // One row's content failed the statement: the others must not pay for it. Each row alone,
        // and a row refused alone once more in its safe form.
        await Promise.all(batch.map((item) => this.insertAlone(item)));
      }
    }
    this.inserting = undefined;
  }

  private async insertRows(batch: PendingInsert[]): Promise<void> {
    const reservations = batch.flatMap((item, i) => (item.reserve ? [{ row: i + 1, ...item.reserve }] : []));
    if (reservations.length === 0) {
      await this.pool.query({ name: INSERT_STATEMENT, text: INSERT_SQL, values: [insertParam(batch)] });
      return;
    }
    const { rows } = await this.pool.query<{
      row_n: number;
      counter_idx: number;
      frees_at_ms: string;
      now_ms: string;
    }>({
      name: INSERT_RESERVING_STATEMENT,
      text: INSERT_RESERVING_SQL,
      values: [insertParam(batch), JSON.stringify(reservations)],
    });
    for (const row of rows) {
      batch[row.row_n - 1]!.refused = {
        counterIndex: row.counter_idx,
        freesAtMs: Number(row.frees_at_ms),
        nowMs: Number(row.now_ms),
      };
    }
  }

  private async insertAlone(item: PendingInsert): Promise<void> {
    let error: unknown;
    for (const candidate of [item, { ...item, record: safeForm(item.record) }]) {
      try {
        await this.insertRows([candidate]);
        item.refused = candidate.refused;
        item.resolve();
        return;
      } catch (caught) {
        error = caught;
        if (!isRowError(caught)) break;
      }
    }
    if (!isRowError(error)) return item.reject(error);
    this.quarantinedRecords += 1;
    this.onError(
      error,
      `audit record quarantined (refused by the store): ${JSON.stringify(insertRow(item.id, safeForm(item.record), new Date()))}`,
    );
    item.reject(new UnstorableAuditRecordError(`The audit store refused this record: ${errorText(error)}`));
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
          batch.map((c) => (c.error === null ? null : storableText(c.error))),
          batch.map((c) => c.latencyMs),
          batch.map(() => done),
          batch.map((c) => (c.result === undefined ? null : JSON.stringify(storableJson(c.result)))),
          batch.map((c) => (c.guards && c.guards.length > 0 ? JSON.stringify(c.guards) : null)),
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
    // One last try for refusals recorded during an outage.
    await this.deferred.close();
    await this.flush();
  }
}
