'use client';

import { useActionState, useState } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { FormStatus } from '../../../components/form-status';
import { createChannelAction } from '../actions';

const PLACEHOLDER = {
  webhook: 'https://hooks.example.com/portcullis',
  slack: 'https://hooks.slack.com/services/…',
  email: 'oncall@example.com, lead@example.com',
} as const;

export function CreateChannelForm({ orgSlug, emailAvailable }: { orgSlug: string; emailAvailable: boolean }) {
  const [state, action, pending] = useActionState(createChannelAction, null);
  const [kind, setKind] = useState<keyof typeof PLACEHOLDER>('webhook');
  return (
    <div className="space-y-3">
      <form action={action} className="flex flex-wrap items-end gap-3">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <div>
          <label htmlFor="channel-name" className="label">
            Channel name
          </label>
          <input id="channel-name" name="name" className="input w-48" required placeholder="e.g. on-call" />
        </div>
        <div>
          <label htmlFor="channel-kind" className="label">
            Kind
          </label>
          <select
            id="channel-kind"
            name="kind"
            className="input"
            value={kind}
            onChange={(e) => setKind(e.target.value as keyof typeof PLACEHOLDER)}
          >
            <option value="webhook">Webhook (signed JSON)</option>
            <option value="slack">Slack incoming webhook</option>
            {emailAvailable ? <option value="email">E-mail</option> : null}
          </select>
        </div>
        <div className="min-w-72 flex-1">
          <label htmlFor="channel-target" className="label">
            {kind === 'email' ? 'Addresses' : 'URL'}
          </label>
          <input
            id="channel-target"
            name="target"
            className="input w-full"
            required
            placeholder={PLACEHOLDER[kind]}
          />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="trusted" />
          Trusted: send full arguments
        </label>
        <button type="submit" className="btn btn-primary" disabled={pending}>
          Add channel
        </button>
      </form>
      {!emailAvailable ? (
        <p className="muted text-xs">E-mail channels appear when the operator configures SMTP (SMTP_URL).</p>
      ) : null}
      {state && !state.ok ? <FormStatus state={state} /> : null}
      {state?.ok && state.data.secret ? (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <span>Signing secret for “{state.data.name}”, shown once:</span>
          <code className="code break-all" data-testid="webhook-secret">
            {state.data.secret}
          </code>
          <CopyButton value={state.data.secret} label="Copy signing secret" />
        </div>
      ) : state?.ok ? (
        <FormStatus state={state} />
      ) : null}
    </div>
  );
}
