import Link from 'next/link';
import type { Decision } from '@portcullis/db/types';
import { DataTable, ListSection } from '../../components/data-table';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { COLORS } from '../audit/components/audit-chart';
import { CallsChart, LatencyChart } from './components/overview-charts';
import { overview, parseRange, RANGES } from './overview';

const LABEL: Record<Decision, string> = {
  allow: 'allowed',
  require_approval: 'held for approval',
  rate_limited: 'rate-limited',
  deny: 'denied',
  hide: 'hidden',
  error: 'error',
};
const ORDER = Object.keys(COLORS) as Decision[];

const ms = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);

export async function OverviewPage({ orgSlug, range: rawRange }: { orgSlug: string; range?: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const range = parseRange(rawRange);
  const o = await overview(db(), ctx, range);
  const total = ORDER.reduce((a, d) => a + (o.totals[d] ?? 0), 0);
  const refused = (['deny', 'hide', 'rate_limited', 'error'] as const).reduce(
    (a, d) => a + (o.totals[d] ?? 0),
    0,
  );
  const summary =
    ORDER.filter((d) => o.totals[d])
      .map((d) => `${LABEL[d]} ${o.totals[d]}`)
      .join(', ') || 'no calls';
  const base = `/o/${ctx.orgSlug}/overview`;
  return (
    <div className="space-y-6">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="h1">Overview</h1>
          <p className="muted">
            Tool calls through this organization&apos;s grants, {RANGES[range].label.toLowerCase()} (UTC).
          </p>
        </div>
        <nav aria-label="Time range" className="flex flex-wrap gap-1 text-sm">
          {(Object.keys(RANGES) as Array<keyof typeof RANGES>).map((key) => (
            <Link
              key={key}
              href={`${base}?range=${key}`}
              aria-current={key === range ? 'page' : undefined}
              className={`btn btn-sm ${key === range ? 'btn-primary' : ''}`}
            >
              {RANGES[key].label}
            </Link>
          ))}
        </nav>
      </header>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="overview-totals">
        {[
          ['Calls', total],
          ['Allowed', o.totals.allow ?? 0],
          ['Refused', refused],
          ['Held for approval', o.totals.require_approval ?? 0],
          ['Approvals waiting now', o.approvalsWaiting],
        ].map(([label, value]) => (
          <div key={label} className="card p-4">
            <dt className="muted text-xs">{label}</dt>
            <dd className="text-2xl font-semibold tabular-nums">
              {label === 'Approvals waiting now' && Number(value) > 0 ? (
                <Link className="text-sky-700 hover:underline" href={`/o/${ctx.orgSlug}/approvals`}>
                  {Number(value).toLocaleString('en')}
                </Link>
              ) : (
                Number(value).toLocaleString('en')
              )}
            </dd>
          </div>
        ))}
      </dl>
      <section aria-labelledby="calls-heading" className="card p-5">
        <h2 id="calls-heading" className="h2 mb-2">
          Calls over time, by decision
        </h2>
        <CallsChart
          series={o.series.map(({ at, ...counts }) => ({ at: at.toISOString(), ...counts }))}
          bucketMs={o.bucketMs}
          decisions={ORDER.map((d) => ({ key: d, label: LABEL[d], color: COLORS[d] }))}
          summary={summary}
        />
      </section>
      <div className="grid gap-6 lg:grid-cols-2">
        <ListSection id="top-tools-heading" title="Top tools">
          <DataTable
            columns={['Server', 'Tool', 'Calls', 'Refused']}
            empty={o.topTools.length === 0 && 'No calls in this range.'}
          >
            {o.topTools.map((t) => (
              <tr key={`${t.server}/${t.tool}`}>
                <td>{t.server}</td>
                <td className="font-mono text-xs">{t.tool}</td>
                <td className="tabular-nums">{t.calls.toLocaleString('en')}</td>
                <td className="tabular-nums">{t.refused.toLocaleString('en')}</td>
              </tr>
            ))}
          </DataTable>
        </ListSection>
        <ListSection id="top-denied-heading" title="Top denied tools and reasons">
          <DataTable
            columns={['Tool', 'Reason', 'Denied']}
            empty={o.topDenied.length === 0 && 'Nothing denied in this range.'}
          >
            {o.topDenied.map((d) => (
              <tr key={`${d.server}/${d.tool}/${d.reason}`}>
                <td>
                  <span className="font-mono text-xs">{d.tool}</span>{' '}
                  <span className="muted text-xs">({d.server})</span>
                </td>
                <td className="max-w-72 text-xs">{d.reason}</td>
                <td className="tabular-nums">{d.calls.toLocaleString('en')}</td>
              </tr>
            ))}
          </DataTable>
        </ListSection>
      </div>
      <section aria-labelledby="latency-heading" className="card space-y-3 p-5">
        <h2 id="latency-heading" className="h2">
          Upstream latency per server
        </h2>
        {o.latency.length ? (
          <LatencyChart
            rows={o.latency.slice(0, 10)}
            summary={o.latency.map((l) => `${l.server} p50 ${ms(l.p50)}, p95 ${ms(l.p95)}`).join('; ')}
          />
        ) : null}
        <DataTable
          columns={['Server', 'Calls answered', 'p50', 'p95']}
          empty={o.latency.length === 0 && 'No answered calls in this range.'}
        >
          {o.latency.map((l) => (
            <tr key={l.server}>
              <td>{l.server}</td>
              <td className="tabular-nums">{l.calls.toLocaleString('en')}</td>
              <td className="tabular-nums">{ms(l.p50)}</td>
              <td className="tabular-nums">{ms(l.p95)}</td>
            </tr>
          ))}
        </DataTable>
        <p className="muted text-xs">
          Percentiles of allowed calls&apos; upstream time, from a histogram (bounds 1 ms … 60 s), so they are
          exact to within a bucket; a value above 60 s shows as 60 s.
        </p>
      </section>
    </div>
  );
}
