'use client';

import { useActionState, useState } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { FormStatus } from '../../../components/form-status';
import { createExportAction } from '../actions';

const PLACEHOLDER = {
  https: 'https://siem.example.com/ingest/portcullis',
  otlp_logs: 'https://otel-collector.example.com:4318/v1/logs',
} as const;

export function CreateExportForm({ orgSlug }: { orgSlug: string }) {
  const [state, action, pending] = useActionState(createExportAction, null);
  const [kind, setKind] = useState<keyof typeof PLACEHOLDER>('https');
  return (
    <div className="space-y-3">
      <form action={action} className="flex flex-wrap items-end gap-3">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <div>
          <label htmlFor="export-name" className="label">
            Name
          </label>
          <input id="export-name" name="name" className="input w-48" required placeholder="e.g. siem" />
        </div>
        <div>
          <label htmlFor="export-kind" className="label">
            Format
          </label>
          <select
            id="export-kind"
            name="kind"
            className="input"
            value={kind}
            onChange={(e) => setKind(e.target.value as keyof typeof PLACEHOLDER)}
          >
            <option value="https">JSON lines over HTTPS (signed)</option>
            <option value="otlp_logs">OpenTelemetry logs (OTLP/HTTP JSON)</option>
          </select>
        </div>
        <div className="min-w-72 flex-1">
          <label htmlFor="export-url" className="label">
            URL
          </label>
          <input
            id="export-url"
            name="url"
            className="input w-full"
            required
            placeholder={PLACEHOLDER[kind]}
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={pending}>
          Add export
        </button>
      </form>
      {state && !state.ok ? <FormStatus state={state} /> : null}
      {state?.ok && state.data.secret ? (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <span>Signing secret for “{state.data.name}”, shown once:</span>
          <code className="code break-all" data-testid="export-secret">
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
