import type { ReactNode } from 'react';

const TONES = {
  slate: 'bg-slate-100 text-slate-700 ring-slate-200',
  green: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  amber: 'bg-amber-50 text-amber-800 ring-amber-200',
  red: 'bg-red-50 text-red-800 ring-red-200',
  sky: 'bg-sky-50 text-sky-800 ring-sky-200',
  violet: 'bg-violet-50 text-violet-800 ring-violet-200',
} as const;
export type Tone = keyof typeof TONES;

export function Badge({
  tone = 'slate',
  children,
  title,
}: {
  tone?: Tone;
  children: ReactNode;
  title?: string;
}) {
  return (
    <span
      title={title}
      className={`inline-flex items-center rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone]}`}
    >
      {children}
    </span>
  );
}

export const CATEGORY_LABEL = { read: 'Read', write: 'Write', destructive: 'Destructive' } as const;
export const CATEGORY_TONE: Record<keyof typeof CATEGORY_LABEL, Tone> = {
  read: 'green',
  write: 'amber',
  destructive: 'red',
};
export const SEVERITY_LABEL = { low: 'Low', medium: 'Medium', high: 'High' } as const;
export const SEVERITY_TONE: Record<keyof typeof SEVERITY_LABEL, Tone> = {
  low: 'slate',
  medium: 'amber',
  high: 'red',
};
export const DECISION_TONE: Record<string, Tone> = {
  allow: 'green',
  deny: 'red',
  hide: 'slate',
  require_approval: 'violet',
  rate_limited: 'amber',
  error: 'red',
};
export const DECISION_LABEL: Record<string, string> = {
  allow: 'Allowed',
  deny: 'Denied',
  hide: 'Hidden',
  require_approval: 'Approval',
  rate_limited: 'Rate limited',
  error: 'Error',
};
