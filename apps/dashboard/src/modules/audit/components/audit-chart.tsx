import type { Decision } from '@portcullis/db/types';
import { chartTicks, type ChartBucket } from '../audit';

// Keyed by the decision enum, so a new decision fails to compile until it has a colour; the keys'
// order is the stacking order.
export const COLORS: Record<Decision, string> = {
  allow: '#059669',
  require_approval: '#7c3aed',
  rate_limited: '#d97706',
  deny: '#dc2626',
  hide: '#64748b',
  error: '#991b1b',
};
const ORDER = Object.keys(COLORS) as Decision[];

/** Stacked bars of calls per bucket by decision, as inline SVG with a text summary for screen readers. */
export function AuditChart({
  from,
  to,
  bucketMs,
  buckets,
}: {
  from: Date;
  to: Date;
  bucketMs: number;
  buckets: ChartBucket[];
}) {
  const count = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / bucketMs));
  const stacks: Array<Record<string, number>> = Array.from({ length: count }, () => ({}));
  const totals: Record<string, number> = {};
  for (const b of buckets) {
    const index = Math.min(
      count - 1,
      Math.max(0, Math.floor((b.bucket.getTime() - from.getTime()) / bucketMs)),
    );
    stacks[index]![b.decision] = (stacks[index]![b.decision] ?? 0) + b.count;
    totals[b.decision] = (totals[b.decision] ?? 0) + b.count;
  }
  const max = Math.max(1, ...stacks.map((s) => Object.values(s).reduce((a, c) => a + c, 0)));
  const width = 720;
  const height = 120;
  const barWidth = width / count;
  const ticks = chartTicks(from, to, bucketMs);
  const position = (at: Date) => ((at.getTime() - from.getTime()) / (count * bucketMs)) * 100;
  const summary =
    ORDER.filter((d) => totals[d])
      .map((d) => `${d.replace('_', ' ')}: ${totals[d]}`)
      .join(', ') || 'no calls';
  return (
    <figure className="card p-4">
      <figcaption className="mb-2 flex flex-wrap items-center justify-between gap-2 text-xs text-slate-600">
        <span>
          Calls from {from.toISOString().slice(0, 16).replace('T', ' ')} to{' '}
          {to.toISOString().slice(0, 16).replace('T', ' ')} UTC, one bar per {formatBucket(bucketMs)} —{' '}
          {summary}
        </span>
        <span className="flex flex-wrap gap-3">
          {ORDER.map((d) => (
            <span key={d} className="inline-flex items-center gap-1">
              <span
                aria-hidden
                className="inline-block h-2 w-2 rounded-sm"
                style={{ backgroundColor: COLORS[d] }}
              />
              {d.replace('_', ' ')}
            </span>
          ))}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        className="h-28 w-full"
        role="img"
        aria-label={`Chart of calls over time, by outcome: ${summary}`}
        preserveAspectRatio="none"
      >
        {stacks.map((stack, i) => {
          let y = height;
          return ORDER.map((d) => {
            const value = stack[d] ?? 0;
            if (!value) return null;
            const h = (value / max) * (height - 4);
            y -= h;
            return (
              <rect
                key={`${i}-${d}`}
                x={i * barWidth + 1}
                y={y}
                width={Math.max(barWidth - 2, 1)}
                height={h}
                fill={COLORS[d]}
              />
            );
          });
        })}
      </svg>
      {/* The time axis in HTML, so labels keep their size while the bars stretch with the width. */}
      <div
        aria-hidden
        className="relative mt-1 h-4 border-t border-slate-200 text-[10px] text-slate-500 tabular-nums"
        data-testid="chart-axis"
      >
        {ticks.map((tick) => (
          <span
            key={tick.at.getTime()}
            className="absolute -translate-x-1/2 whitespace-nowrap"
            style={{ left: `${position(tick.at)}%` }}
          >
            {tick.label}
          </span>
        ))}
      </div>
    </figure>
  );
}

function formatBucket(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 60) return minutes === 1 ? 'minute' : `${minutes} minutes`;
  if (minutes < 1440) return minutes === 60 ? 'hour' : `${minutes / 60} hours`;
  return minutes === 1440 ? 'day' : `${minutes / 1440} days`;
}
