import type { ActionResult } from '../server/action-result';

/** Announces an action's outcome to screen readers and shows it inline. */
export function FormStatus({ state }: { state: ActionResult<unknown> }) {
  if (!state) return <div role="status" aria-live="polite" />;
  if (state.ok) {
    return (
      <div role="status" aria-live="polite" className="text-sm text-emerald-700">
        {state.message ?? ''}
      </div>
    );
  }
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {state.error}
    </div>
  );
}
