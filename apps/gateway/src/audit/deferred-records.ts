// Refusals the store could not take while it was down, kept in memory and written once it is back
// (through the writer's own insert: audit-writer.ts stays the one module that writes audit events).
// Retries back off; the buffer is bounded; a record retried for too long is given up and counted.
import type { AuditRecord } from './audit-types.ts';
import { UnstorableAuditRecordError } from './audit-types.ts';
import { MAX_BATCH } from './audit-rows.ts';

interface DeferredRecord {
  record: AuditRecord;
  deferredAt: number;
  attempts: number;
}

/** Refusals kept in memory while the store is down; beyond this the oldest go (and are counted). */
const MAX_DEFERRED = 10_000;
const DEFERRED_RETRY_MS = 500;
/** Retries of deferred records back off up to this interval (sooner once any write goes through)… */
const DEFERRED_MAX_INTERVAL_MS = 5_000;
/** …and stop after this long: the record is then given up (logged and counted in lostRecords). */
const DEFERRED_MAX_AGE_MS = 60 * 60_000;

export class DeferredRecords {
  private deferred: DeferredRecord[] = [];
  private deferredTimer: NodeJS.Timeout | undefined;
  private deferredAttempts = 0;
  private closed = false;
  /** Deferred records given up (buffer full, retried for too long, or still unwritable at close). */
  lostRecords = 0;

  constructor(
    /** Writes one record (resolves once it is committed). */
    private readonly write: (record: AuditRecord) => Promise<unknown>,
    private readonly onError: (error: unknown, message?: string) => void,
  ) {}

  get count(): number {
    return this.deferred.length;
  }

  /** Keeps a record the store could not take now. */
  add(record: AuditRecord): void {
    this.defer([{ record, deferredAt: Date.now(), attempts: 0 }]);
  }

  /** A write went through, so the store is back: deferred records need not wait out their backoff. */
  storeIsBack(): void {
    if (this.deferred.length === 0 || !this.deferredTimer) return;
    clearTimeout(this.deferredTimer);
    this.deferredTimer = undefined;
    this.deferredAttempts = 0;
    void this.writeDeferred();
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
    const results = await Promise.allSettled(batch.map((item) => this.write(item.record)));
    // Unstorable records were logged by the insert; only records the store could not take come back.
    const failed = batch.filter((_, i) => {
      const result = results[i]!;
      return result.status === 'rejected' && !(result.reason instanceof UnstorableAuditRecordError);
    });
    this.deferredAttempts = failed.length > 0 ? this.deferredAttempts + 1 : 0;
    if (failed.length > 0) this.defer(failed.map((item) => ({ ...item, attempts: item.attempts + 1 })));
    else if (this.deferred.length > 0) await this.writeDeferred();
  }

  /** No more retries: one last try for what is kept; what still fails is lost (and counted). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.deferredTimer) clearTimeout(this.deferredTimer);
    this.deferredTimer = undefined;
    if (this.deferred.length > 0) {
      const batch = this.deferred.splice(0);
      const results = await Promise.allSettled(batch.map((item) => this.write(item.record)));
      this.lostRecords += results.filter((r) => r.status === 'rejected').length;
    }
  }
}
