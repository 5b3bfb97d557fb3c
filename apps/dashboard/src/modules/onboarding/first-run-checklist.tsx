import Link from 'next/link';
import type { FirstRunStep } from './first-run';

export function FirstRunChecklist({ steps }: { steps: FirstRunStep[] }) {
  const done = steps.filter((s) => s.done).length;
  return (
    <section aria-labelledby="first-run-heading" className="card p-5">
      <div className="flex items-baseline justify-between gap-3">
        <h2 id="first-run-heading" className="h2">
          Getting started
        </h2>
        <p className="text-sm text-slate-600">
          {done === steps.length
            ? 'All done: your agent’s calls go through policy.'
            : `${done} of ${steps.length} done`}
        </p>
      </div>
      <ol className="mt-3 grid gap-2 md:grid-cols-5">
        {steps.map((step, i) => (
          <li
            key={step.label}
            data-done={String(step.done)}
            className={`rounded-md border p-3 text-sm ${step.done ? 'border-emerald-200 bg-emerald-50' : 'border-slate-200'}`}
          >
            <span
              aria-hidden="true"
              className={`mr-1.5 inline-flex h-5 w-5 items-center justify-center rounded-full text-xs ${step.done ? 'bg-emerald-700 text-white' : 'bg-slate-200 text-slate-700'}`}
            >
              {step.done ? '✓' : i + 1}
            </span>
            {step.done ? (
              <span className="font-medium">{step.label}</span>
            ) : (
              <Link href={step.href} className="font-medium text-sky-800 underline">
                {step.label}
              </Link>
            )}
            <span className="sr-only">{step.done ? ' (done)' : ' (to do)'}</span>
            <p className="mt-1 text-xs text-slate-600">{step.hint}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}
