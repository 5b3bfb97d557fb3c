'use client';

import { useActionState } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { FormStatus } from '../../../components/form-status';
import { inviteAction } from '../actions';

export function InviteForm({ orgSlug, canMakeOwner }: { orgSlug: string; canMakeOwner: boolean }) {
  const [state, action, pending] = useActionState(inviteAction, null);
  return (
    <div className="space-y-3">
      <form action={action} className="flex flex-wrap items-end gap-3">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <div>
          <label htmlFor="invite-email" className="label">
            Email (optional)
          </label>
          <input
            id="invite-email"
            name="email"
            type="email"
            className="input w-64"
            placeholder="Anyone with the link if empty"
          />
        </div>
        <div>
          <label htmlFor="invite-role" className="label">
            Role
          </label>
          <select id="invite-role" name="role" className="input" defaultValue="editor">
            {canMakeOwner ? <option value="owner">Owner</option> : null}
            <option value="admin">Admin</option>
            <option value="editor">Editor</option>
            <option value="viewer">Viewer</option>
          </select>
        </div>
        <button type="submit" className="btn btn-primary" disabled={pending}>
          Create invitation link
        </button>
      </form>
      <FormStatus state={state} />
      {state?.ok ? (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <span>Shown once, valid 7 days:</span>
          <code className="code break-all">{state.data.link}</code>
          <CopyButton value={state.data.link} label="Copy invitation link" />
        </div>
      ) : null}
    </div>
  );
}
