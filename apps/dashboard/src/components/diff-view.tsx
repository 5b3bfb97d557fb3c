import { diffLines } from '../modules/diff/line-diff';

/** Renders a line diff as text (never HTML): removed lines red with "-", added green with "+". */
export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = diffLines(before, after);
  return (
    <pre
      aria-label={label}
      className="max-h-96 overflow-auto rounded-md border border-slate-200 bg-slate-50 p-2 font-mono text-xs leading-5"
    >
      {lines.map((line, i) => (
        <div
          key={i}
          className={
            line.kind === 'added'
              ? 'bg-emerald-50 text-emerald-900'
              : line.kind === 'removed'
                ? 'bg-red-50 text-red-900'
                : 'text-slate-600'
          }
        >
          {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
          {line.text}
        </div>
      ))}
    </pre>
  );
}
