// Audit records as rows: the JSON the insert statement reads, and the safe form a record takes when
// PostgreSQL refuses what it holds. Pure (no I/O); the statements are run by audit-writer.ts.
import type { AuditRecord } from './audit-types.ts';

/** Rows per statement. */
export const MAX_BATCH = 500;

/**
 * A `\uD8xx`-style (lone surrogate) or `\u0000` escape not preceded by an escaping backslash: how
 * JSON.stringify writes those characters, and PostgreSQL's json/jsonb/text refuse both.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:d[89a-f][0-9a-f]{2}|0000)/g;

export function insertRow(id: string, r: AuditRecord, now: Date) {
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
    traceId: r.traceId ?? null,
    toolsetId: r.toolsetId ?? null,
    createdAt: r.createdAt,
    completedAt: r.upstreamOutcome === 'pending' ? null : now,
  };
}

/** The insert statement's one parameter: the batch's rows as a JSON array. */
export function insertParam(batch: readonly { id: string; record: AuditRecord }[]): string {
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
export function safeForm(r: AuditRecord): AuditRecord {
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
export function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
