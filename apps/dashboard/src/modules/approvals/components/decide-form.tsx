'use client';

import { useActionState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { decideApprovalAction } from '../actions';

export function DecideForm({
  orgSlug,
  approvalId,
  toolName,
}: {
  orgSlug: string;
  approvalId: string;
  toolName: string;
}) {
  const [state, action, pending] = useActionState(decideApprovalAction, null);
  return (
    <form action={action} className="space-y-2">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <input type="hidden" name="approvalId" value={approvalId} />
      <label className="block text-xs">
        Note for {toolName} (optional)
        <input name="note" className="input mt-0.5" maxLength={1000} />
      </label>
      <div className="flex gap-2">
        <button
          type="submit"
          name="decision"
          value="approve"
          className="btn btn-primary btn-sm"
          disabled={pending}
        >
          Approve
        </button>
        <button
          type="submit"
          name="decision"
          value="deny"
          className="btn btn-danger btn-sm"
          disabled={pending}
        >
          Deny
        </button>
      </div>
      <FormStatus state={state} />
    </form>
  );
}
