// The audit export worker: each export is a cursor over its organization's audit events, ordered by
// (createdAt, id). A batch is read after the cursor, sent, and the cursor moves only once the receiver
// answered 2xx, so every event is delivered at least once (receivers dedupe on the event's `id`).
// The gateway never waits for any of this: it only writes audit rows; a slow or dead receiver holds
// up only its own export (one batch in flight per export, each send bounded in time and size).
//
// Two rules keep the cursor from skipping events:
// - rows younger than SETTLE_MS are not read yet: a row's createdAt is its transaction's start, so a
//   row can become visible a moment after a later one; none takes seconds to commit;
// - a call still waiting for its upstream (upstreamOutcome 'pending') stops the batch before it, so it
//   is exported once, with its outcome, unless it waits longer than PENDING_WAIT_MS (a held approval):
//   then it is exported as pending and its outcome is not sent again (the audit page has it).
import type { Db } from '@portcullis/db/client';
import { createNodeFetch } from '@portcullis/upstream/node-fetch';
import { exportSecret } from './exports';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
} from '../notifications/webhook-signature';

export interface ExportWorkerOptions {
  /** Exact origins (scheme://host:port) a receiver may be on although private (WEBHOOK_PRIVATE_ORIGINS). */
  privateOrigins: readonly string[];
  encryptionKey: Buffer;
  /** Per send. */
  timeoutMs?: number;
  /** Events per batch. */
  batchSize?: number;
  /** Wait before retry n (1-based). */
  backoffMs?: (attempt: number) => number;
  settleMs?: number;
  pendingWaitMs?: number;
  /** Wait after a batch that found nothing new. */
  idleMs?: number;
}

export const SETTLE_MS = 5_000;
export const PENDING_WAIT_MS = 10 * 60_000;
export const DEFAULT_BATCH = 500;
export const DEFAULT_TIMEOUT_MS = 10_000;
const IDLE_MS = 2_000;
/** 1 s, 2 s, 4 s … capped at 5 minutes; an export retries for as long as it is enabled. */
export const exportBackoff = (attempt: number): number => Math.min(1_000 * 2 ** (attempt - 1), 300_000);
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 300;

/** One audit event as exported: what the audit page shows, names resolved, content as stored. */
export interface ExportedEvent {
  id: string;
  time: string;
  completedAt: string | null;
  organization: string;
  server: { id: string | null; name: string | null };
  /** The toolset the call came through, or null for a call straight to the server. */
  toolset: { id: string; name: string | null } | null;
  grant: { id: string | null; name: string | null };
  method: string;
  tool: string | null;
  decision: string;
  rule: string | null;
  policyVersion: number | null;
  reason: string | null;
  upstreamOutcome: string;
  upstreamError: string | null;
  latencyMs: number | null;
  approvalId: string | null;
  protocolVersion: string | null;
  /** Arguments and result exactly as the audit stored them (redacted unless full content is on). */
  argumentsRedacted: boolean;
  arguments: unknown;
  result: unknown;
  /** Content guards that fired (detector, where, count, action), never the match. */
  guards: unknown;
  /** The call's OpenTelemetry trace id, when the gateway exports traces. */
  traceId: string | null;
}

interface Row {
  id: string;
  createdAt: Date;
  completedAt: Date | null;
  serverId: string | null;
  toolsetId: string | null;
  grantId: string | null;
  method: string;
  toolName: string | null;
  decision: string;
  ruleId: string | null;
  policyVersion: number | null;
  reason: string | null;
  upstreamOutcome: string;
  upstreamError: string | null;
  latencyMs: number | null;
  approvalId: string | null;
  protocolVersion: string | null;
  argumentsRedacted: boolean;
  arguments: unknown;
  result: unknown;
  guards: unknown;
  traceId: string | null;
  server: { name: string } | null;
  toolset: { name: string } | null;
  grant: { name: string } | null;
}

function toEvent(row: Row, orgSlug: string): ExportedEvent {
  return {
    id: row.id,
    time: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    organization: orgSlug,
    server: { id: row.serverId, name: row.server?.name ?? null },
    toolset: row.toolsetId ? { id: row.toolsetId, name: row.toolset?.name ?? null } : null,
    grant: { id: row.grantId, name: row.grant?.name ?? null },
    method: row.method,
    tool: row.toolName,
    decision: row.decision,
    rule: row.ruleId,
    policyVersion: row.policyVersion,
    reason: row.reason,
    upstreamOutcome: row.upstreamOutcome,
    upstreamError: row.upstreamError,
    latencyMs: row.latencyMs,
    approvalId: row.approvalId,
    protocolVersion: row.protocolVersion,
    argumentsRedacted: row.argumentsRedacted,
    arguments: row.arguments ?? null,
    result: row.result ?? null,
    guards: row.guards ?? null,
    traceId: row.traceId,
  };
}

/** OTLP/HTTP JSON (ExportLogsServiceRequest): one log record per event, the event itself as the body. */
export function otlpLogsBody(events: ExportedEvent[]): string {
  const str = (value: string | null) => ({ stringValue: value ?? '' });
  return JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: str('portcullis') },
            { key: 'portcullis.organization', value: str(events[0]?.organization ?? '') },
          ],
        },
        scopeLogs: [
          {
            scope: { name: 'portcullis.audit', version: '1' },
            logRecords: events.map((e) => ({
              timeUnixNano: `${BigInt(Date.parse(e.time)) * 1_000_000n}`,
              observedTimeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
              // INFO for what was let through, WARN for what the policy stopped.
              severityNumber: e.decision === 'allow' ? 9 : 13,
              severityText: e.decision === 'allow' ? 'INFO' : 'WARN',
              eventName: 'portcullis.audit',
              body: { stringValue: JSON.stringify(e) },
              attributes: [
                { key: 'portcullis.event.id', value: str(e.id) },
                { key: 'portcullis.decision', value: str(e.decision) },
                { key: 'portcullis.server', value: str(e.server.name) },
                { key: 'portcullis.grant', value: str(e.grant.name) },
                { key: 'portcullis.tool', value: str(e.tool) },
                { key: 'portcullis.upstream_outcome', value: str(e.upstreamOutcome) },
              ],
            })),
          },
        ],
      },
    ],
  });
}

/** The events after the cursor that may be sent now (see the two rules above). */
export async function readBatch(
  db: Db,
  exp: { organizationId: string; cursorAt: Date; cursorId: string },
  options: Pick<ExportWorkerOptions, 'batchSize' | 'settleMs' | 'pendingWaitMs'>,
): Promise<Row[]> {
  const now = Date.now();
  const rows = (await db.auditEvent.findMany({
    where: {
      organizationId: exp.organizationId,
      OR: [{ createdAt: { gt: exp.cursorAt } }, { createdAt: exp.cursorAt, id: { gt: exp.cursorId } }],
      createdAt: { lt: new Date(now - (options.settleMs ?? SETTLE_MS)) },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: options.batchSize ?? DEFAULT_BATCH,
    select: {
      id: true,
      createdAt: true,
      completedAt: true,
      serverId: true,
      toolsetId: true,
      grantId: true,
      method: true,
      toolName: true,
      decision: true,
      ruleId: true,
      policyVersion: true,
      reason: true,
      upstreamOutcome: true,
      upstreamError: true,
      latencyMs: true,
      approvalId: true,
      protocolVersion: true,
      argumentsRedacted: true,
      arguments: true,
      result: true,
      guards: true,
      traceId: true,
      server: { select: { name: true } },
      toolset: { select: { name: true } },
      grant: { select: { name: true } },
    },
  })) as Row[];
  const waitUntil = now - (options.pendingWaitMs ?? PENDING_WAIT_MS);
  const stop = rows.findIndex((r) => r.upstreamOutcome === 'pending' && r.createdAt.getTime() > waitUntil);
  return stop < 0 ? rows : rows.slice(0, stop);
}

type FetchLike = ReturnType<typeof createNodeFetch>;
const fetchers = new Map<string, FetchLike>();
function fetcherFor(origin: string, privateOrigins: readonly string[]): FetchLike {
  // The receiver's URL is the tenant's: through the private-address guard unless the operator allowed it.
  const allowPrivate = privateOrigins.includes(origin);
  const key = allowPrivate ? 'private' : 'guarded';
  let f = fetchers.get(key);
  if (!f)
    fetchers.set(
      key,
      (f = createNodeFetch({ allowPrivateNetworks: allowPrivate, maxMessageBytes: MAX_RESPONSE_BYTES })),
    );
  return f;
}

function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'No answer in time';
  const code = e?.code ?? e?.cause?.code;
  const text = `${code ? `${code}: ` : ''}${e?.message ?? String(error)}`;
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/**
 * Sends the next batch of one claimed export and records the result; `claim` is the lock value this
 * worker set, so a worker whose claim expired (and was taken over) changes nothing.
 */
export async function exportOnce(
  db: Db,
  options: ExportWorkerOptions,
  exportId: string,
  claim: Date,
): Promise<void> {
  const exp = await db.auditExport.findUnique({
    where: { id: exportId },
    select: {
      id: true,
      organizationId: true,
      kind: true,
      url: true,
      secretEnc: true,
      cursorAt: true,
      cursorId: true,
      attempts: true,
      organization: { select: { slug: true } },
    },
  });
  if (!exp) return;
  const mine = { id: exportId, lockedUntil: claim };
  const rows = await readBatch(db, exp, options);
  if (rows.length === 0) {
    await db.auditExport.updateMany({
      where: mine,
      data: { lockedUntil: null, nextAttemptAt: new Date(Date.now() + (options.idleMs ?? IDLE_MS)) },
    });
    return;
  }
  const events = rows.map((r) => toEvent(r, exp.organization.slug));
  const body =
    exp.kind === 'otlp_logs' ? otlpLogsBody(events) : `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
  const timestamp = Math.floor(Date.now() / 1000);
  const secret = exportSecret(exp, options.encryptionKey);
  const headers: Record<string, string> = {
    'content-type': exp.kind === 'otlp_logs' ? 'application/json' : 'application/x-ndjson',
    'user-agent': 'Portcullis-Audit-Export/1',
    // Stable across retries of the same first event, so a receiver can tell a retry from a new batch.
    [DELIVERY_HEADER]: `${exp.id}.${rows[0]!.id}`,
    [TIMESTAMP_HEADER]: String(timestamp),
    ...(secret ? { [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body) } : {}),
  };
  let error: string | null = null;
  try {
    const target = new URL(exp.url);
    const res = await fetcherFor(target.origin, options.privateOrigins)(target, {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) error = `The receiver answered HTTP ${res.status}`;
  } catch (e) {
    error = describeError(e);
  }
  if (error === null) {
    const last = rows.at(-1)!;
    await db.auditExport.updateMany({
      where: mine,
      data: {
        cursorAt: last.createdAt,
        cursorId: last.id,
        exportedCount: { increment: rows.length },
        attempts: 0,
        lastError: null,
        lastDeliveredAt: new Date(),
        lockedUntil: null,
        // A full batch: more may be waiting, go on at once.
        nextAttemptAt: new Date(
          rows.length >= (options.batchSize ?? DEFAULT_BATCH)
            ? Date.now()
            : Date.now() + (options.idleMs ?? IDLE_MS),
        ),
      },
    });
    return;
  }
  const attempts = exp.attempts + 1;
  await db.auditExport.updateMany({
    where: mine,
    data: {
      attempts,
      lastError: error,
      lockedUntil: null,
      nextAttemptAt: new Date(Date.now() + (options.backoffMs ?? exportBackoff)(attempts)),
    },
  });
}

/** Claims the exports that are due and have nothing in flight here; returns the sends started. */
export async function startDueExports(
  db: Db,
  options: ExportWorkerOptions,
  inFlight: Set<string>,
): Promise<Array<Promise<void>>> {
  const due = await db.auditExport.findMany({
    where: {
      enabled: true,
      nextAttemptAt: { lte: new Date() },
      OR: [{ lockedUntil: null }, { lockedUntil: { lt: new Date() } }],
      id: { notIn: [...inFlight] },
    },
    select: { id: true },
    orderBy: { nextAttemptAt: 'asc' },
    take: 100,
  });
  const started: Array<Promise<void>> = [];
  for (const { id } of due) {
    // Longer than a send can take, so no other replica sends the same batch meanwhile.
    const claim = new Date(Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 30_000);
    const { count } = await db.auditExport.updateMany({
      where: { id, enabled: true, OR: [{ lockedUntil: null }, { lockedUntil: { lt: new Date() } }] },
      data: { lockedUntil: claim },
    });
    if (count !== 1) continue;
    inFlight.add(id);
    started.push(
      exportOnce(db, options, id, claim)
        .catch((error: unknown) => console.error(`[audit-export] ${id}: ${describeError(error)}`))
        .finally(() => inFlight.delete(id)),
    );
  }
  return started;
}

/** The loop: every second, start what is due; sends run beside it, never blocking the next tick. */
export function startAuditExportWorker(db: Db, options: ExportWorkerOptions): { stop(): Promise<void> } {
  const inFlight = new Set<string>();
  const running = new Set<Promise<void>>();
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    startDueExports(db, options, inFlight)
      .then((sends) => {
        for (const s of sends) {
          running.add(s);
          void s.finally(() => running.delete(s));
        }
      })
      .catch((error: unknown) => console.error(`[audit-export] ${describeError(error)}`))
      .finally(() => (ticking = false));
  }, 1_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
