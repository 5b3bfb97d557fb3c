'use client';

import { useActionState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { syncToolsAction, testConnectionAction } from '../actions';

/** "Test connection" and "Sync tools"; each shows progress while the upstream is contacted. */
export function ServerActions({ orgSlug, serverId }: { orgSlug: string; serverId: string }) {
  const [testState, testAction, testing] = useActionState(testConnectionAction, null);
  const [syncState, syncAction, syncing] = useActionState(syncToolsAction, null);
  const state = syncState ?? testState;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <form action={testAction}>
          <input type="hidden" name="orgSlug" value={orgSlug} />
          <input type="hidden" name="serverId" value={serverId} />
          <button type="submit" className="btn" disabled={testing || syncing}>
            {testing ? 'Testing…' : 'Test connection'}
          </button>
        </form>
        <form action={syncAction}>
          <input type="hidden" name="orgSlug" value={orgSlug} />
          <input type="hidden" name="serverId" value={serverId} />
          <button
            type="submit"
            className="btn btn-primary"
            disabled={testing || syncing}
            aria-describedby="sync-progress"
          >
            {syncing ? 'Syncing tools…' : 'Sync tools'}
          </button>
        </form>
      </div>
      <p id="sync-progress" className="sr-only" aria-live="polite">
        {syncing ? 'Fetching the tool list from the server and classifying each tool…' : ''}
      </p>
      {syncing ? (
        <div className="h-1 w-64 overflow-hidden rounded bg-slate-200">
          <div className="h-1 w-1/3 animate-pulse bg-sky-600" />
        </div>
      ) : null}
      <FormStatus state={state} />
    </div>
  );
}
