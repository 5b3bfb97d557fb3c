/** Times are rendered in UTC on the server so pages are stable; the full ISO time is in the tooltip. */
export function Time({ value }: { value: Date | string | null | undefined }) {
  if (!value) return <span className="text-slate-400">—</span>;
  const date = typeof value === 'string' ? new Date(value) : value;
  const iso = date.toISOString();
  return (
    <time dateTime={iso} title={iso} className="whitespace-nowrap tabular-nums">
      {iso.slice(0, 19).replace('T', ' ')}
    </time>
  );
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
