// The one module that writes audit events. Inserts are group-committed: calls that arrive while a
// batch is being written wait for the next batch, so under load many calls share one INSERT, and
// each caller resumes only after the row that describes its call is durably stored. Completions
// (outcome, latency) are collected for up to COMPLETION_DELAY_MS and written in one UPDATE; nobody
// waits for them, close() flushes them, and a crash leaves the rows `pending` (true to what we know).
import { randomUUID } from 'node:crypto';
import type { Decision } from '@portcullis/db/types';
import type { InlineReservation } from '@portcullis/counters/counter-store';
import type pg from 'pg';
import { storableJson, storableText } from './storable-text.ts';

/** The audit table's decision column (the Prisma enum is the one definition). */
export type AuditDecision = Decision;
/**
 * `cancelled`: the agent cancelled after the call was sent upstream; `unknown`: sent, and no answer
 * came (timeout, connection lost). Both may have run. (Rows written before these existed say `timeout`.)
 */
export type UpstreamOutcome =
  'pending' | 'not_sent' | 'ok' | 'tool_error' | 'error' | 'cancelled' | 'unknown';

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
  /** The MCP protocol version the agent spoke. */
  protocolVersion?: string | null;
  upstreamOutcome: UpstreamOutcome;
  upstreamError?: string | null;
  latencyMs?: number | null;
  /** Content guards that fired (detector, where, how many, what was done), never the matched text. */
  guards?: AuditGuardFinding[] | null;
  createdAt: Date;
}

export interface AuditGuardFinding {
  direction: 'arguments' | 'results';
  detector: string;
  /** JSON pointer inside the arguments or the result. */
  where: string;
  count: number;
  action: 'block' | 'redact' | 'flag';
}

export interface AuditCompletion {
  id: string;
  outcome: UpstreamOutcome;
  error: string | null;
  latencyMs: number;
  /** The tool's result, only when its content is stored in full (already bounded by the caller). */
  result?: unknown;
  /** Every guard finding of the call (arguments' and result's), replacing what the insert had. */
  guards?: AuditGuardFinding[];
}

/** A rate-limit reservation taken in the same statement as the row (PostgreSQL counters; see insertReserving). */
export type InlineReservationSpec = InlineReservation['spec'];
/** A reservation that found a counter full: which one, and when its slot frees (store clock). */
export interface RefusedReservation {
  counterIndex: number;
  freesAtMs: number;
  nowMs: number;
}

interface PendingInsert {
  id: string;
  record: AuditRecord;
  reserve?: InlineReservationSpec | undefined;
  refused?: RefusedReservation | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface DeferredRecord {
  record: AuditRecord;
  deferredAt: number;
  attempts: number;
}

/** A record PostgreSQL refuses even in its safe form (e.g. its organization is gone): never retried. */
export class UnstorableAuditRecordError extends Error {}

const MAX_BATCH = 500;
const COMPLETION_DELAY_MS = 50;
/** Refusals kept in memory while the store is down; beyond this the oldest go (and are counted). */
const MAX_DEFERRED = 10_000;
const DEFERRED_RETRY_MS = 500;
/** Retries of deferred records back off up to this interval (sooner once any write goes through)… */
const DEFERRED_MAX_INTERVAL_MS = 5_000;
/** …and stop after this long: the record is then given up (logged and counted in lostRecords). */
const DEFERRED_MAX_AGE_MS = 60 * 60_000;

// One parameter, a JSON array of rows: one JSON.stringify per batch instead of twenty array
// literals, and a named statement, so each connection parses and plans it once.
const INSERT_STATEMENT = 'portcullis_audit_insert';
const INSERT_SQL = `
INSERT INTO audit_events (id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
  "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
  "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", guards, "createdAt", "completedAt")
SELECT id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
  "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
  "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", guards, "createdAt", "completedAt"
FROM json_to_recordset($1::json) AS r(id text, "organizationId" text, "grantId" text, "serverId" text, "toolName" text,
  method text, decision "Decision", "ruleId" text, "policyVersion" int4, reason text, arguments jsonb, "argumentsRedacted" bool,
  "approvalId" text, "sessionId" text, "requestId" text, "protocolVersion" text, "upstreamOutcome" text, "upstreamError" text, "latencyMs" float8,
  guards jsonb, "createdAt" timestamptz, "completedAt" timestamptz)`;

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
  private deferred: DeferredRecord[] = [];
  private deferredTimer: NodeJS.Timeout | undefined;
  private deferredAttempts = 0;
  /** Deferred records given up (buffer full, retried for too long, or still unwritable at close). */
  lostRecords = 0;
  /** Records PostgreSQL refused even in their safe form; logged through onError instead. */
  quarantinedRecords = 0;

  constructor(
    private readonly pool: pg.Pool,
    /** Called with what went wrong; `message` says what it means when it is not a completion retry. */
    private readonly onError: (error: unknown, message?: string) => void,
  ) {}

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

  /** A write went through, so the store is back: deferred records need not wait out their backoff. */
  private storeIsBack(): void {
    if (this.deferred.length === 0 || !this.deferredTimer) return;
    clearTimeout(this.deferredTimer);
    this.deferredTimer = undefined;
    this.deferredAttempts = 0;
    void this.writeDeferred();
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
      this.defer([{ record, deferredAt: Date.now(), attempts: 0 }]);
      return 'deferred';
    }
  }

  get deferredCount(): number {
    return this.deferred.length;
  }

  private defer(records: DeferredRecord[]): void {
    const now = Date.now();
    const expired = records.filter((r) => now - r.deferredAt > DEFERRED_MAX_AGE_MS);
    if (expired.length > 0) {
      this.lostRecords += expired.length;
      this.onError(
        new Error(
          `${expired.length} audit records could not be written for ${DEFERRED_MAX_AGE_MS / 60_000} minutes`,
        ),
        'audit records given up',
      );
    }
    this.deferred.push(...records.filter((r) => now - r.deferredAt <= DEFERRED_MAX_AGE_MS));
    const excess = this.deferred.length - MAX_DEFERRED;
    if (excess > 0) {
      this.deferred.splice(0, excess);
      this.lostRecords += excess;
    }
    if (!this.deferredTimer && !this.closed && this.deferred.length > 0) {
      const delay = Math.min(
        DEFERRED_MAX_INTERVAL_MS,
        DEFERRED_RETRY_MS * 2 ** Math.min(this.deferredAttempts, 10),
      );
      this.deferredTimer = setTimeout(() => void this.writeDeferred(), delay);
      this.deferredTimer.unref();
    }
  }

  private async writeDeferred(): Promise<void> {
    this.deferredTimer = undefined;
    const batch = this.deferred.splice(0, MAX_BATCH);
    const results = await Promise.allSettled(batch.map((item) => this.insertQueued(item.record)));
    // Unstorable records were logged by the insert; only records the store could not take come back.
    const failed = batch.filter((_, i) => {
      const result = results[i]!;
      return result.status === 'rejected' && !(result.reason instanceof UnstorableAuditRecordError);
    });
    this.deferredAttempts = failed.length > 0 ? this.deferredAttempts + 1 : 0;
    if (failed.length > 0) this.defer(failed.map((item) => ({ ...item, attempts: item.attempts + 1 })));
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
    if (this.deferredTimer) clearTimeout(this.deferredTimer);
    this.deferredTimer = undefined;
    // One last try for refusals recorded during an outage.
    if (this.deferred.length > 0) {
      const batch = this.deferred.splice(0);
      const results = await Promise.allSettled(batch.map((item) => this.insertQueued(item.record)));
      this.lostRecords += results.filter((r) => r.status === 'rejected').length;
    }
    await this.flush();
  }
}

/**
 * A `\uD8xx`-style (lone surrogate) or `\u0000` escape not preceded by an escaping backslash: how
 * JSON.stringify writes those characters, and PostgreSQL's json/jsonb/text refuse both.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:d[89a-f][0-9a-f]{2}|0000)/g;

function insertRow(id: string, r: AuditRecord, now: Date) {
  return {
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
    protocolVersion: r.protocolVersion ?? null,
    upstreamOutcome: r.upstreamOutcome,
    upstreamError: r.upstreamError ?? null,
    latencyMs: r.latencyMs ?? null,
    guards: r.guards && r.guards.length > 0 ? r.guards : null,
    createdAt: r.createdAt,
    completedAt: r.upstreamOutcome === 'pending' ? null : now,
  };
}

function insertParam(batch: PendingInsert[]): string {
  const now = new Date();
  // `n`, the row's place in the batch, names the rows whose reservation was refused (insertRows).
  // Each row alone: one whose arguments cannot be written as JSON (nested too deep for
  // JSON.stringify, say) is stored in its safe form instead of failing the rows of other calls.
  const rows = batch.map(({ id, record }, i) => {
    try {
      return JSON.stringify({ n: i + 1, ...insertRow(id, record, now) });
    } catch {
      return JSON.stringify({ n: i + 1, ...insertRow(id, safeForm(record), now) });
    }
  });
  const json = `[${rows.join(',')}]`;
  // PostgreSQL refuses lone surrogates and NUL in JSON; as text parameters surrogates became U+FFFD,
  // so both become that (one agent's odd tool name or request id must not fail the batch that
  // carries other calls' rows).
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : json;
}

/** Printable ASCII only, bounded: what any text column takes. */
function asciiText(text: string | null | undefined, max = 1_000): string | null {
  if (text === null || text === undefined) return null;
  const escaped = JSON.stringify(text)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** The record with every agent- or upstream-controlled text as escaped ASCII and its arguments left out. */
function safeForm(r: AuditRecord): AuditRecord {
  return {
    ...r,
    toolName: asciiText(r.toolName, 200),
    method: asciiText(r.method, 200) ?? '',
    ruleId: asciiText(r.ruleId),
    reason: asciiText(r.reason),
    arguments: { 'portcullis/unstorable': 'The arguments could not be stored as given' },
    sessionId: asciiText(r.sessionId, 200),
    requestId: asciiText(r.requestId, 200),
    protocolVersion: asciiText(r.protocolVersion ?? null, 40),
    upstreamError: asciiText(r.upstreamError ?? null),
    guards: r.guards?.map((g) => ({ ...g, where: asciiText(g.where, 200) ?? '' })) ?? null,
  };
}

/** PostgreSQL refused the row's content (data exception, constraint), not the connection. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
