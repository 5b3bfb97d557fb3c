// Streams the filtered audit log as CSV or JSONL, in keyset-paged batches, so memory stays flat.
import type { Db } from '@portcullis/db/client';
import type { OrgContext } from '../../server/context';
import { listAuditEvents, type AuditFilter, type AuditRow } from './audit';
import { callOutcome } from './call-outcome';

const COLUMNS = [
  'createdAt',
  'id',
  'serverName',
  'serverId',
  'toolsetName',
  'toolsetId',
  'grantName',
  'grantId',
  'method',
  'toolName',
  'decision',
  'ruleId',
  'policyVersion',
  'reason',
  'upstreamOutcome',
  'upstreamError',
  'outcome',
  'latencyMs',
  'approvalId',
  'contentStored',
  'arguments',
  'result',
] as const;

/** One exported row: the outcome in words, and whether arguments and result are plain text. */
function exportRow(row: AuditRow): Record<(typeof COLUMNS)[number], unknown> {
  const { approvalStatus: _status, approvalNote: _note, argumentsRedacted, ...rest } = row;
  return {
    ...rest,
    outcome: callOutcome(row).words,
    // Marked, so whoever reads the export knows which rows carry readable arguments and results.
    contentStored: argumentsRedacted ? 'redacted' : 'plain text',
    arguments: row.arguments === undefined || row.arguments === null ? null : JSON.stringify(row.arguments),
    result: row.result === undefined || row.result === null ? null : JSON.stringify(row.result),
  };
}

/**
 * OWASP CSV injection guidance: a cell whose first non-whitespace character is = + - @ (or that starts
 * with a tab or CR) is a formula to a spreadsheet, so it gets a leading apostrophe; and every cell is
 * quoted, so a `;` or `,` inside it can never start a new (formula) cell in a locale that splits on it.
 */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^\s*[=+\-@]/.test(text) || /^[\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function auditExportStream(
  db: Db,
  ctx: OrgContext,
  filter: AuditFilter,
  format: 'csv' | 'jsonl',
  maxRows = 1_000_000,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | null = null;
  let sent = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started && format === 'csv') controller.enqueue(encoder.encode(`${COLUMNS.join(',')}\n`));
      started = true;
      const page = await listAuditEvents(db, ctx, filter, { cursor, limit: 500, withContent: true });
      const lines = page.rows.map((row) => {
        const out = exportRow(row);
        return format === 'csv'
          ? COLUMNS.map((c) => csvCell(out[c])).join(',')
          : JSON.stringify({ ...out, arguments: row.arguments ?? null, result: row.result ?? null });
      });
      if (lines.length) controller.enqueue(encoder.encode(`${lines.join('\n')}\n`));
      sent += page.rows.length;
      cursor = page.nextCursor;
      if (!cursor || sent >= maxRows) controller.close();
    },
  });
}
