import Link from 'next/link';
import { Badge, DECISION_LABEL, DECISION_TONE } from '../../components/badge';
import { DataTable } from '../../components/data-table';
import { Time } from '../../components/time';
import { prettyJson } from '../diff/line-diff';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { notFoundOnMissing } from '../../server/not-found';
import {
  auditChart,
  auditFilterOptions,
  DECISIONS,
  describeTarget,
  getAuditEvent,
  listAuditEvents,
  parseAuditFilter,
  type AuditFilter,
} from './audit';
import { callOutcome } from './call-outcome';
import { AuditChart } from './components/audit-chart';
import { LiveAudit } from './components/live-audit';

/** Quick ranges for the chart and the table: each sets `from`, and `to` stays "now". */
const RANGES = [
  { label: 'Last hour', ms: 3_600_000 },
  { label: '6 hours', ms: 6 * 3_600_000 },
  { label: '24 hours', ms: 24 * 3_600_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
];

type Query = Record<string, string | string[] | undefined>;

function filterQuery(filter: AuditFilter, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter))
    if (v !== undefined) params.set(k, v instanceof Date ? v.toISOString() : String(v));
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

function localInput(date: Date | undefined): string {
  return date ? date.toISOString().slice(0, 16) : '';
}

export async function AuditPage({ orgSlug, query }: { orgSlug: string; query: Query }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const filter = parseAuditFilter(query);
  const cursor = typeof query.cursor === 'string' ? query.cursor : undefined;
  const eventId = typeof query.event === 'string' ? query.event : undefined;
  const [page, chart, options, event] = await Promise.all([
    listAuditEvents(db(), ctx, filter, { cursor, limit: 50 }).catch(() =>
      listAuditEvents(db(), ctx, filter, { limit: 50 }),
    ),
    auditChart(db(), ctx, filter),
    auditFilterOptions(db(), ctx),
    eventId ? notFoundOnMissing(getAuditEvent(db(), ctx, eventId)) : Promise.resolve(null),
  ]);
  const base = `/o/${ctx.orgSlug}/audit`;
  const now = Date.now();
  const eventOutcome = event ? callOutcome(event, now) : null;
  return (
    <div className="space-y-5">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="h1">Audit log</h1>
          <p className="muted">Every call agents made through the gateway, newest first. Times are UTC.</p>
        </div>
        <div className="flex gap-2">
          <a className="btn" href={`${base}/export${filterQuery(filter, { format: 'csv' })}`} download>
            Export CSV
          </a>
          <a className="btn" href={`${base}/export${filterQuery(filter, { format: 'jsonl' })}`} download>
            Export JSONL
          </a>
        </div>
      </header>
      <form
        method="get"
        action={base}
        className="card flex flex-wrap items-end gap-3 p-4"
        role="search"
        aria-label="Filter audit events"
      >
        <div className="text-xs">
          <label htmlFor="audit-server" className="block">
            Server
          </label>
          <select id="audit-server" name="server" defaultValue={filter.server ?? ''} className="input mt-0.5">
            <option value="">All servers</option>
            {options.servers.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        {options.toolsets.length > 0 || filter.toolset ? (
          <div className="text-xs">
            <label htmlFor="audit-toolset" className="block">
              Toolset
            </label>
            <select
              id="audit-toolset"
              name="toolset"
              defaultValue={filter.toolset ?? ''}
              className="input mt-0.5"
            >
              <option value="">All toolsets and direct calls</option>
              {options.toolsets.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="text-xs">
          <label htmlFor="audit-grant" className="block">
            Grant
          </label>
          <select id="audit-grant" name="grant" defaultValue={filter.grant ?? ''} className="input mt-0.5">
            <option value="">All grants</option>
            {options.grants.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <div className="text-xs">
          <label htmlFor="audit-tool" className="block">
            Tool
          </label>
          <input
            id="audit-tool"
            name="tool"
            defaultValue={filter.tool ?? ''}
            className="input mt-0.5 w-44 font-mono"
            placeholder="exact tool name"
          />
        </div>
        <div className="text-xs">
          <label htmlFor="audit-decision" className="block">
            Decision
          </label>
          <select
            id="audit-decision"
            name="decision"
            defaultValue={filter.decision ?? ''}
            className="input mt-0.5"
          >
            <option value="">All decisions</option>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {DECISION_LABEL[d]}
              </option>
            ))}
          </select>
        </div>
        <div className="text-xs">
          <label htmlFor="audit-from" className="block">
            From (UTC)
          </label>
          <input
            type="datetime-local"
            id="audit-from"
            name="from"
            defaultValue={localInput(filter.from)}
            className="input mt-0.5"
          />
        </div>
        <div className="text-xs">
          <label htmlFor="audit-to" className="block">
            To (UTC)
          </label>
          <input
            type="datetime-local"
            id="audit-to"
            name="to"
            defaultValue={localInput(filter.to)}
            className="input mt-0.5"
          />
        </div>
        <button type="submit" className="btn btn-primary">
          Apply filters
        </button>
        <Link href={base} className="btn">
          Clear
        </Link>
      </form>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <nav aria-label="Time range" className="flex flex-wrap gap-1 text-xs">
          {RANGES.map((range) => (
            <Link
              key={range.ms}
              href={`${base}${filterQuery({ ...filter, from: new Date(Math.floor((now - range.ms) / 60_000) * 60_000), to: undefined })}`}
              className="btn btn-sm"
            >
              {range.label}
            </Link>
          ))}
        </nav>
        <LiveAudit ms={3000} rowOpen={Boolean(event)} paging={Boolean(cursor)} />
      </div>
      <AuditChart {...chart} />
      <div className="flex gap-4">
        <section aria-labelledby="audit-table" className="card min-w-0 flex-1 overflow-x-auto">
          <h2 id="audit-table" className="sr-only">
            Events
          </h2>
          <DataTable
            columns={[
              'Time',
              'Grant',
              'Tool',
              'Decision',
              'Outcome',
              'Rule',
              'Latency',
              { label: 'Details', hidden: true },
            ]}
            empty={page.rows.length === 0 && 'No calls match these filters yet.'}
          >
            {page.rows.map((row) => {
              const outcome = callOutcome(row, now);
              return (
                <tr
                  key={row.id}
                  aria-selected={row.id === eventId ? true : undefined}
                  className={row.id === eventId ? 'bg-sky-50' : ''}
                >
                  <td className="text-xs">
                    <Time value={row.createdAt} />
                  </td>
                  <td className="text-xs">{row.grantName ?? '—'}</td>
                  <td className="font-mono text-xs break-all">
                    {describeTarget(row)}
                    {row.toolsetId ? (
                      <span className="block font-sans text-[11px] text-slate-600">
                        via toolset {row.toolsetName ?? 'deleted toolset'}
                        {row.serverName ? ` · ${row.serverName}` : ''}
                      </span>
                    ) : null}
                  </td>
                  <td>
                    <Badge tone={DECISION_TONE[row.decision] ?? 'slate'}>
                      {DECISION_LABEL[row.decision] ?? row.decision}
                    </Badge>
                  </td>
                  <td className="text-xs">
                    <Badge tone={outcome.tone} title={outcome.detail ?? undefined}>
                      {outcome.words}
                    </Badge>
                    {outcome.detail && outcome.tone === 'red' ? (
                      <span className="mt-0.5 block text-[11px] break-words text-slate-600">
                        {outcome.detail}
                      </span>
                    ) : null}
                  </td>
                  <td className="font-mono text-xs break-all">{row.ruleId ?? ''}</td>
                  <td className="text-xs tabular-nums">
                    {row.latencyMs === null ? '—' : `${Math.round(row.latencyMs)} ms`}
                  </td>
                  <td>
                    <Link
                      href={`${base}${filterQuery(filter, { cursor, event: row.id })}`}
                      className="text-xs text-sky-700 hover:underline"
                      scroll={false}
                    >
                      Details
                    </Link>
                  </td>
                </tr>
              );
            })}
          </DataTable>
          <nav aria-label="Pagination" className="flex justify-between p-3">
            {cursor ? (
              <Link href={`${base}${filterQuery(filter)}`} className="btn btn-sm">
                First page
              </Link>
            ) : (
              <span />
            )}
            {page.nextCursor ? (
              <Link
                href={`${base}${filterQuery(filter, { cursor: page.nextCursor })}`}
                className="btn btn-sm"
              >
                Next page
              </Link>
            ) : null}
          </nav>
        </section>
        {event ? (
          <aside aria-labelledby="event-detail" className="card w-96 shrink-0 space-y-3 p-4 text-sm">
            <div className="flex items-center justify-between">
              <h2 id="event-detail" className="h2">
                Call details
              </h2>
              <Link href={`${base}${filterQuery(filter, { cursor })}`} className="btn btn-sm" scroll={false}>
                Close
              </Link>
            </div>
            <dl className="grid grid-cols-[7rem_1fr] gap-x-2 gap-y-1 text-xs">
              <dt className="text-slate-500">Time</dt>
              <dd>
                <Time value={event.createdAt} />
              </dd>
              <dt className="text-slate-500">Tool</dt>
              <dd className="font-mono break-all">{describeTarget(event)}</dd>
              <dt className="text-slate-500">Decision</dt>
              <dd>
                <Badge tone={DECISION_TONE[event.decision] ?? 'slate'}>
                  {DECISION_LABEL[event.decision] ?? event.decision}
                </Badge>
              </dd>
              <dt className="text-slate-500">Rule</dt>
              <dd className="font-mono break-all">{event.ruleId ?? '—'}</dd>
              <dt className="text-slate-500">Policy version</dt>
              <dd>{event.policyVersion ?? '—'}</dd>
              <dt className="text-slate-500">Reason</dt>
              <dd>{event.reason ?? '—'}</dd>
              <dt className="text-slate-500">Grant</dt>
              <dd>{event.grant ? `${event.grant.name} (${event.grant.tokenPrefix}…)` : '—'}</dd>
              <dt className="text-slate-500">Server</dt>
              <dd>{event.server?.name ?? '—'}</dd>
              {event.toolsetId ? (
                <>
                  <dt className="text-slate-500">Toolset</dt>
                  <dd>{event.toolset?.name ?? 'deleted toolset'}</dd>
                </>
              ) : null}
              <dt className="text-slate-500">Outcome</dt>
              <dd>
                {eventOutcome ? <Badge tone={eventOutcome.tone}>{eventOutcome.words}</Badge> : null}
                {eventOutcome?.detail ? (
                  <span className="mt-0.5 block break-words">{eventOutcome.detail}</span>
                ) : null}
              </dd>
              <dt className="text-slate-500">Latency</dt>
              <dd>{event.latencyMs === null ? '—' : `${event.latencyMs.toFixed(1)} ms`}</dd>
              <dt className="text-slate-500">Approval</dt>
              <dd className="font-mono">{event.approvalId ?? '—'}</dd>
              <dt className="text-slate-500">Session</dt>
              <dd className="font-mono break-all">{event.sessionId ?? '—'}</dd>
              {event.traceId ? (
                <>
                  <dt className="text-slate-500">Trace</dt>
                  <dd
                    className="font-mono break-all"
                    title="OpenTelemetry trace id: find the call's spans in your tracing backend"
                  >
                    {event.traceId}
                  </dd>
                </>
              ) : null}
            </dl>
            <GuardFindings guards={event.guards} />
            <div>
              <p className="text-xs font-medium text-slate-600">
                Arguments{' '}
                {event.argumentsRedacted ? (
                  '(redacted: keys and salted hashes)'
                ) : (
                  <Badge tone="amber" title="This server or tool stores arguments and results in plain text">
                    stored in plain text
                  </Badge>
                )}
              </p>
              <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs">
                {prettyJson(event.arguments ?? {})}
              </pre>
            </div>
            {event.result !== null && event.result !== undefined ? (
              <div>
                <p className="text-xs font-medium text-slate-600">
                  Result{' '}
                  <Badge tone="amber" title="This server or tool stores arguments and results in plain text">
                    stored in plain text
                  </Badge>
                </p>
                <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs">
                  {prettyJson(event.result)}
                </pre>
              </div>
            ) : null}
          </aside>
        ) : null}
      </div>
    </div>
  );
}

const GUARD_ACTION_TONE = { block: 'red', redact: 'amber', flag: 'slate' } as const;

/** The content guards that fired on the call: which, where, how many, what was done; never the match. */
function GuardFindings({ guards }: { guards: unknown }) {
  if (!Array.isArray(guards) || guards.length === 0) return null;
  const rows = guards as Array<{
    direction?: string;
    detector?: string;
    where?: string;
    count?: number;
    action?: string;
  }>;
  return (
    <div data-testid="guard-findings">
      <p className="text-xs font-medium text-slate-600">Content guards</p>
      <ul className="mt-1 space-y-1 text-xs">
        {rows.map((g, i) => (
          <li key={i} className="flex flex-wrap items-center gap-1">
            <Badge tone={GUARD_ACTION_TONE[g.action as keyof typeof GUARD_ACTION_TONE] ?? 'slate'}>
              {g.action === 'block' ? 'blocked' : g.action === 'redact' ? 'redacted' : 'flagged'}
            </Badge>
            <span className="font-mono">{g.detector}</span>
            <span>
              in {g.direction === 'results' ? 'the result' : 'the arguments'} at{' '}
              <span className="font-mono break-all">{g.where || '/'}</span>
              {g.count && g.count > 1 ? ` (${g.count} matches)` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
