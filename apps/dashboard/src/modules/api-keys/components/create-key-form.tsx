'use client';

import { useActionState } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { FormStatus } from '../../../components/form-status';
import { createApiKeyAction } from '../actions';

export function CreateKeyForm({ orgSlug }: { orgSlug: string }) {
  const [state, action, pending] = useActionState(createApiKeyAction, null);
  return (
    <div className="space-y-3">
      <form action={action} className="flex flex-wrap items-end gap-3">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <div>
          <label htmlFor="key-name" className="label">
            Key name
          </label>
          <input id="key-name" name="name" className="input w-64" required placeholder="e.g. terraform" />
        </div>
        <div>
          <label htmlFor="key-role" className="label">
            Role
          </label>
          <select id="key-role" name="role" className="input" defaultValue="editor">
            <option value="admin">Admin</option>
            <option value="editor">Editor</option>
            <option value="viewer">Viewer</option>
          </select>
        </div>
        <button type="submit" className="btn btn-primary" disabled={pending}>
          Create API key
        </button>
      </form>
      {state && !state.ok ? <FormStatus state={state} /> : null}
      {state?.ok ? (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <span>Key “{state.data.name}”, shown once:</span>
          <code className="code break-all">{state.data.token}</code>
          <CopyButton value={state.data.token} label="Copy API key" />
        </div>
      ) : null}
    </div>
  );
}
