'use client';

import { useActionState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { setRetentionAction } from '../actions';

export function RetentionForm({
  orgSlug,
  organizationDays,
  operatorDays,
}: {
  orgSlug: string;
  organizationDays: number | null;
  operatorDays: number | null;
}) {
  const [state, action, pending] = useActionState(setRetentionAction, null);
  return (
    <form action={action} className="flex flex-wrap items-end gap-3">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <div>
        <label htmlFor="retention-days" className="label">
          Keep audit events for (days)
        </label>
        <input
          id="retention-days"
          name="days"
          inputMode="numeric"
          className="input w-40"
          defaultValue={organizationDays ?? ''}
          placeholder={operatorDays ? `${operatorDays} (default)` : 'forever (default)'}
          aria-describedby="retention-help"
        />
      </div>
      <button type="submit" className="btn btn-primary" disabled={pending}>
        Save retention
      </button>
      <p id="retention-help" className="muted basis-full text-xs">
        {operatorDays
          ? `At most ${operatorDays} days on this deployment; leave empty for ${operatorDays}.`
          : 'This deployment keeps events forever unless you choose a period; leave empty for that.'}
      </p>
      {state ? <FormStatus state={state} /> : null}
    </form>
  );
}
