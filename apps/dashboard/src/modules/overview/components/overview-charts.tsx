'use client';

// The overview's two charts, drawn with Recharts (SVG). Each has a text equivalent beside it on the
// page (the totals and the latency table), so the figures do not depend on seeing the bars.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface SeriesPoint {
  /** ISO time of the bucket's start. */
  at: string;
  [decision: string]: number | string;
}

const HOUR_MS = 3_600_000;

function tickLabel(iso: string, bucketMs: number): string {
  const d = new Date(iso);
  return bucketMs >= 24 * HOUR_MS
    ? d.toISOString().slice(5, 10)
    : bucketMs >= HOUR_MS * 6
      ? `${d.toISOString().slice(5, 10)} ${d.toISOString().slice(11, 13)}h`
      : d.toISOString().slice(11, 16);
}

export function CallsChart({
  series,
  bucketMs,
  decisions,
  summary,
}: {
  series: SeriesPoint[];
  bucketMs: number;
  decisions: Array<{ key: string; label: string; color: string }>;
  summary: string;
}) {
  return (
    <div role="img" aria-label={`Calls over time by decision: ${summary}`} className="h-64 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="at"
            tickFormatter={(v: string) => tickLabel(v, bucketMs)}
            tick={{ fontSize: 11 }}
            minTickGap={24}
          />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={48} />
          <Tooltip
            labelFormatter={(v) => `${new Date(String(v)).toISOString().slice(0, 16).replace('T', ' ')} UTC`}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {decisions.map((d) => (
            <Bar
              key={d.key}
              dataKey={d.key}
              name={d.label}
              stackId="calls"
              fill={d.color}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function LatencyChart({
  rows,
  summary,
}: {
  rows: Array<{ server: string; p50: number | null; p95: number | null }>;
  summary: string;
}) {
  return (
    <div role="img" aria-label={`Upstream latency per server: ${summary}`} className="h-56 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" unit=" ms" tick={{ fontSize: 11 }} />
          <YAxis type="category" dataKey="server" tick={{ fontSize: 11 }} width={120} />
          <Tooltip formatter={(v) => `${Math.round(Number(v))} ms`} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="p50" name="p50" fill="#0284c7" maxBarSize={20} isAnimationActive={false} />
          <Bar dataKey="p95" name="p95" fill="#7c3aed" maxBarSize={20} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
