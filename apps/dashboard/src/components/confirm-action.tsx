'use client';

// A destructive button that asks first: it opens a modal dialog naming what will happen, and only
// the dialog's own button posts the record's ids (hidden fields) to the server action, which checks
// the caller's role again. The action's refusal ("You are the last owner…") is shown by the button.
import { useActionState, useEffect, useId, useRef } from 'react';
import type { ActionResult } from '../server/action-result';

export type ConfirmableAction = (prev: ActionResult, form: FormData) => Promise<ActionResult>;

export function ConfirmAction({
  action,
  fields,
  label,
  ariaLabel,
  title,
  body,
  confirmLabel,
  size = 'sm',
}: {
  action: ConfirmableAction;
  fields: Record<string, string>;
  label: string;
  /** Names the row for screen readers when the label alone ("Revoke") would be ambiguous. */
  ariaLabel?: string;
  /** The dialog's question, e.g. "Revoke grant “ci bot”?" */
  title: string;
  /** What happens, in a sentence or two. */
  body: string;
  confirmLabel: string;
  size?: 'sm' | 'md';
}) {
  const [state, formAction, pending] = useActionState(action, null);
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    // The action answered (a refusal; success re-renders the list or navigates): close the dialog.
    if (state) dialog.current?.close();
  }, [state]);
  return (
    <div className="inline-flex flex-col items-end gap-1">
      <button
        type="button"
        className={`btn btn-danger ${size === 'sm' ? 'btn-sm' : ''}`}
        aria-label={ariaLabel}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
      </button>
      <dialog
        ref={dialog}
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-body`}
        className="m-auto w-full max-w-md rounded-lg border border-slate-200 bg-white p-5 text-left shadow-xl backdrop:bg-slate-900/40"
      >
        <form action={formAction} className="space-y-4">
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <h2 id={`${id}-title`} className="h2">
            {title}
          </h2>
          <p id={`${id}-body`} className="text-sm text-slate-700">
            {body}
          </p>
          <div className="flex justify-end gap-2">
            {/* First in the dialog, so it takes the focus: Enter on an open dialog never destroys. */}
            <button type="button" className="btn" autoFocus onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button
              type="submit"
              className="btn border-red-700 bg-red-700 text-white hover:bg-red-800"
              disabled={pending}
            >
              {pending ? 'Working…' : confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
      {state && !state.ok ? (
        <p role="alert" className="max-w-xs text-right text-xs text-red-700">
          {state.error}
        </p>
      ) : null}
    </div>
  );
}
