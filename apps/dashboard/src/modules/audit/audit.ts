// Reading the audit log (the gateway writes it). Keyset pagination on (createdAt desc, id desc) with
// a row comparison, which PostgreSQL answers from the (organizationId, …, createdAt, id) indexes.
import type { Db } from '@portcullis/db/client';
import { Decision as DecisionEnum, Prisma, type Decision } from '@portcullis/db/types';
import { z } from 'zod';
import type { OrgContext } from '../../server/context';
import { NotFoundError, ValidationError } from '../../server/errors';

export const DECISIONS: readonly Decision[] = Object.values(DecisionEnum);

export const auditFilterSchema = z.object({
  server: z.string().max(100).optional(),
  /** The toolset calls came through (`toolsetId`); with `server`, that member server's calls in it. */
  toolset: z.string().max(100).optional(),
  grant: z.string().max(100).optional(),
  tool: z.string().max(200).optional(),
  decision: z.enum(DecisionEnum).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

/** Reads filters from URL query values; blank and unknown values are ignored rather than rejected. */
export function parseAuditFilter(query: Record<string, string | string[] | undefined>): AuditFilter {
  const pick = (k: string) => {
    const v = query[k];
    const s = Array.isArray(v) ? v[0] : v;
    return s && s.trim() !== '' ? s.trim() : undefined;
  };
  const raw = {
    server: pick('server'),
    toolset: pick('toolset'),
    grant: pick('grant'),
    tool: pick('tool'),
    decision: pick('decision'),
    from: pick('from'),
    to: pick('to'),
  };
  const out: AuditFilter = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const field = auditFilterSchema.shape[key as keyof AuditFilter].safeParse(value);
    if (field.success && !(field.data instanceof Date && Number.isNaN(field.data.getTime())))
      (out as Record<string, unknown>)[key] = field.data;
  }
  return out;
}

export interface AuditCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: AuditCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString('base64url');
}

export function decodeCursor(value: string | undefined | null): AuditCursor | undefined {
  if (!value) return undefined;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const [iso, id] = text.split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || id.length > 64)
    throw new ValidationError('The page cursor is not valid; start from the first page.', '/cursor');
  return { createdAt, id };
}

export interface AuditRow {
  id: string;
  createdAt: Date;
  grantId: string | null;
  grantName: string | null;
  serverId: string | null;
  serverName: string | null;
  /** The toolset the call came through (serverId and toolName are then the member's, unprefixed). */
  toolsetId: string | null;
  toolsetName: string | null;
  toolName: string | null;
  method: string;
  decision: Decision;
  ruleId: string | null;
  policyVersion: number | null;
  reason: string | null;
  upstreamOutcome: string;
  upstreamError: string | null;
  latencyMs: number | null;
  approvalId: string | null;
  /** The approval's status and note, for rows about an approval (what became of a held call). */
  approvalStatus: string | null;
  approvalNote: string | null;
  /** False when the arguments (and result) are stored in plain text. */
  argumentsRedacted: boolean;
  /** Only with `withContent`: the stored arguments and, when stored in full, the result. */
  arguments?: unknown;
  result?: unknown;
}

function whereSql(ctx: OrgContext, filter: AuditFilter, cursor?: AuditCursor): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`e."organizationId" = ${ctx.organizationId}`];
  if (filter.server) parts.push(Prisma.sql`e."serverId" = ${filter.server}`);
  if (filter.toolset) parts.push(Prisma.sql`e."toolsetId" = ${filter.toolset}`);
  if (filter.grant) parts.push(Prisma.sql`e."grantId" = ${filter.grant}`);
  if (filter.tool) parts.push(Prisma.sql`e."toolName" = ${filter.tool}`);
  if (filter.decision) parts.push(Prisma.sql`e."decision" = ${filter.decision}::"Decision"`);
  if (filter.from) parts.push(Prisma.sql`e."createdAt" >= ${filter.from}`);
  if (filter.to) parts.push(Prisma.sql`e."createdAt" < ${filter.to}`);
  if (cursor) parts.push(Prisma.sql`(e."createdAt", e.id) < (${cursor.createdAt}, ${cursor.id})`);
  return Prisma.join(parts, ' AND ');
}

export async function listAuditEvents(
  db: Db,
  ctx: OrgContext,
  filter: AuditFilter,
  options: { cursor?: string | null; limit?: number; withContent?: boolean } = {},
): Promise<{ rows: AuditRow[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const cursor = decodeCursor(options.cursor);
  const rows = await db.$queryRaw<AuditRow[]>`
    SELECT e.id, e."createdAt", e."grantId", g.name AS "grantName", e."serverId", s.name AS "serverName",
           e."toolsetId", t.name AS "toolsetName", e."toolName", e.method, e.decision::text AS decision, e."ruleId", e."policyVersion", e.reason,
           e."upstreamOutcome", e."upstreamError", e."latencyMs", e."approvalId", a.status::text AS "approvalStatus", a.note AS "approvalNote",
           e."argumentsRedacted"${options.withContent ? Prisma.sql`, e.arguments, e.result` : Prisma.empty}
    FROM (
      SELECT * FROM audit_events e
      WHERE ${whereSql(ctx, filter, cursor)}
      ORDER BY e."createdAt" DESC, e.id DESC
      LIMIT ${limit + 1}
    ) e
    LEFT JOIN grants g ON g.id = e."grantId"
    LEFT JOIN mcp_servers s ON s.id = e."serverId"
    LEFT JOIN toolsets t ON t.id = e."toolsetId" AND t."organizationId" = e."organizationId"
    LEFT JOIN approvals a ON a.id = e."approvalId"
    ORDER BY e."createdAt" DESC, e.id DESC`;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export async function getAuditEvent(db: Db, ctx: OrgContext, id: string) {
  const event = await db.auditEvent.findFirst({
    where: { id, organizationId: ctx.organizationId },
    include: {
      grant: { select: { name: true, tokenPrefix: true } },
      server: { select: { name: true } },
      toolset: { select: { name: true } },
    },
  });
  if (!event) throw new NotFoundError('Audit event not found');
  const approval = event.approvalId
    ? await db.approval.findFirst({
        where: { id: event.approvalId, organizationId: ctx.organizationId },
        select: { status: true, note: true },
      })
    : null;
  return { ...event, approvalStatus: approval?.status ?? null, approvalNote: approval?.note ?? null };
}

/** Nice bucket sizes for the chart; the one chosen gives 24 to 60 bars for the range shown. */
const BUCKET_SIZES_MS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map(
  (m) => m * 60_000,
);

/**
 * The chart's window and bucket size: buckets fit the range (a 30-minute session gets one-minute
 * bars, a month gets daily ones) and start on whole multiples of the bucket size (UTC).
 */
export function chartWindow(from: Date, to: Date): { from: Date; to: Date; bucketMs: number } {
  const span = Math.max(to.getTime() - from.getTime(), 60_000);
  const bucketMs = BUCKET_SIZES_MS.find((size) => span / size <= 60) ?? BUCKET_SIZES_MS.at(-1)!;
  const alignedFrom = new Date(Math.floor(from.getTime() / bucketMs) * bucketMs);
  return { from: alignedFrom, to, bucketMs };
}

/** Time-axis ticks for the chart: about six labels on round times, worded for the range's length. */
export function chartTicks(from: Date, to: Date, bucketMs: number): Array<{ at: Date; label: string }> {
  const span = to.getTime() - from.getTime();
  const step =
    BUCKET_SIZES_MS.find((size) => size >= bucketMs && span / size <= 7) ??
    Math.ceil(span / 6 / bucketMs) * bucketMs;
  const ticks: Array<{ at: Date; label: string }> = [];
  for (let t = Math.ceil(from.getTime() / step) * step; t <= to.getTime(); t += step) {
    const iso = new Date(t).toISOString();
    const label =
      span <= 86_400_000
        ? iso.slice(11, 16)
        : step >= 86_400_000
          ? iso.slice(5, 10)
          : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
    ticks.push({ at: new Date(t), label });
  }
  return ticks;
}

export interface ChartBucket {
  bucket: Date;
  decision: Decision;
  count: number;
}

/** Calls per time bucket and decision, for the chart; bounded to the filter's window (default 24 h). */
export async function auditChart(
  db: Db,
  ctx: OrgContext,
  filter: AuditFilter,
): Promise<{ from: Date; to: Date; bucketMs: number; buckets: ChartBucket[] }> {
  const to = filter.to ?? new Date();
  const { from, bucketMs } = chartWindow(filter.from ?? new Date(to.getTime() - 24 * 3_600_000), to);
  const interval = `${bucketMs / 1000} seconds`;
  type Row = { bucket: Date; decision: Decision; count: bigint };
  // Without server/toolset/grant/tool filters, one index-only scan per decision on
  // (organizationId, decision, createdAt, id) is several times faster than grouping heap rows.
  const rows =
    !filter.server && !filter.toolset && !filter.grant && !filter.tool
      ? await db.$queryRaw<Row[]>`
          SELECT d.decision::text AS decision, x.bucket, x.count
          FROM unnest(${filter.decision ? Prisma.sql`ARRAY[${filter.decision}]::"Decision"[]` : Prisma.sql`enum_range(NULL::"Decision")`}) AS d(decision)
          CROSS JOIN LATERAL (
            SELECT date_bin(${interval}::interval, e."createdAt", ${from}) AS bucket, count(*) AS count
            FROM audit_events e
            WHERE e."organizationId" = ${ctx.organizationId} AND e.decision = d.decision AND e."createdAt" >= ${from} AND e."createdAt" < ${to}
            GROUP BY 1
          ) x`
      : await db.$queryRaw<Row[]>`
          SELECT date_bin(${interval}::interval, e."createdAt", ${from}) AS bucket, e.decision::text AS decision, count(*) AS count
          FROM audit_events e
          WHERE ${whereSql(ctx, { ...filter, from, to })}
          GROUP BY 1, 2`;
  return {
    from,
    to,
    bucketMs,
    buckets: rows.map((r) => ({ bucket: r.bucket, decision: r.decision, count: Number(r.count) })),
  };
}

/** Options for the filter selects. */
export async function auditFilterOptions(db: Db, ctx: OrgContext) {
  const [servers, toolsets, grants] = await Promise.all([
    db.mcpServer.findMany({
      where: { organizationId: ctx.organizationId },
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
    }),
    db.toolset.findMany({
      where: { organizationId: ctx.organizationId },
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
    }),
    db.grant.findMany({
      where: { organizationId: ctx.organizationId },
      select: { id: true, name: true },
      orderBy: { name: 'asc' },
    }),
  ]);
  return { servers, toolsets, grants };
}

/** How long a forwarded call may stay `pending` before the dashboard stops expecting its outcome. */
export const PENDING_HORIZON_MS = 15 * 60_000;

/**
 * The upstream outcome as a person should read it. A row stays `pending` only while the call runs,
 * or for good when the gateway process stopped (crash, kill) before recording the answer: then the
 * call was sent and may have run, and nobody knows its result.
 */
export function describeOutcome(
  event: { upstreamOutcome: string; createdAt: Date },
  now = Date.now(),
): string {
  // The gateway records these when the call was sent but no answer came (or the client cancelled
  // after sending): the upstream may have acted on it.
  if (event.upstreamOutcome === 'unknown') return 'unknown (sent upstream, no answer: the call may have run)';
  if (event.upstreamOutcome === 'cancelled')
    return 'cancelled by the client after it was sent (the call may have run)';
  if (event.upstreamOutcome !== 'pending') return event.upstreamOutcome;
  return now - event.createdAt.getTime() > PENDING_HORIZON_MS
    ? 'unknown (sent upstream; the gateway stopped before recording the answer, so the call may have run)'
    : 'pending (sent upstream, no answer yet)';
}

/** What the event is about: the tool, or the method and its target for resources, prompts and completions. */
export function describeTarget(event: { method: string; toolName: string | null }): string {
  if (event.method === 'tools/call') return event.toolName ?? event.method;
  return event.toolName ? `${event.method} ${event.toolName}` : event.method;
}
