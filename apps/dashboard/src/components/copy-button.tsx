'use client';

import { useState } from 'react';

/** Copies `value` to the clipboard; the label stays the accessible name, the result is announced. */
export function CopyButton({
  value,
  label,
  className,
}: {
  value: string;
  label: string;
  className?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        className={className ?? 'btn btn-sm'}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setState('copied');
          } catch {
            setState('failed');
          }
          setTimeout(() => setState('idle'), 2000);
        }}
      >
        {label}
      </button>
      <span role="status" aria-live="polite" className="text-xs text-slate-500">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed; select the text instead' : ''}
      </span>
    </span>
  );
}
