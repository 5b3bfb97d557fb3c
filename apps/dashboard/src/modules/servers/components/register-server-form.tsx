'use client';

import { useActionState, useState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { registerServerAction } from '../actions';

type Transport = 'streamable_http' | 'sse' | 'stdio';
interface SecretRow {
  key: number;
}

export function RegisterServerForm({ orgSlug, preset }: { orgSlug: string; preset: { name: string; command: string; args: string[] } }) {
  const [state, action, pending] = useActionState(registerServerAction, null);
  const [transport, setTransport] = useState<Transport>('streamable_http');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [secrets, setSecrets] = useState<SecretRow[]>([]);
  const secretKind = transport === 'stdio' ? 'env' : 'header';
  const error = (field: string) => (state && !state.ok && (state.field === field || state.field === `/${field}`) ? state.error : undefined);

  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-64 flex-1">
          <label htmlFor="server-name" className="label">
            Name
          </label>
          <input id="server-name" name="name" className="input" required value={name} onChange={(e) => setName(e.target.value)} />
          {error('name') ? <p className="mt-1 text-xs text-red-700">{error('name')}</p> : null}
        </div>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setTransport('stdio');
            setName((n) => n || preset.name);
            setCommand(preset.command);
            setArgs(preset.args.join('\n'));
          }}
        >
          Use Twikit preset
        </button>
      </div>
      <fieldset>
        <legend className="label">Transport</legend>
        <div className="flex flex-wrap gap-4 text-sm">
          {(
            [
              ['streamable_http', 'Streamable HTTP URL'],
              ['sse', 'SSE URL'],
              ['stdio', 'stdio command'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="inline-flex items-center gap-2">
              <input type="radio" name="transport" value={value} checked={transport === value} onChange={() => setTransport(value)} />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      {transport === 'stdio' ? (
        <div className="grid gap-3 md:grid-cols-2">
          <div>
            <label htmlFor="server-command" className="label">
              Command
            </label>
            <input id="server-command" name="command" className="input font-mono" value={command} onChange={(e) => setCommand(e.target.value)} required />
            {error('command') ? <p className="mt-1 text-xs text-red-700">{error('command')}</p> : null}
          </div>
          <div>
            <label htmlFor="server-args" className="label">
              Arguments (one per line)
            </label>
            <textarea id="server-args" name="args" rows={2} className="input font-mono" value={args} onChange={(e) => setArgs(e.target.value)} />
          </div>
        </div>
      ) : (
        <div>
          <label htmlFor="server-url" className="label">
            URL
          </label>
          <input
            id="server-url"
            name="url"
            type="url"
            className="input font-mono"
            placeholder="https://mcp.example.com/mcp"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            required
          />
          {error('url') ? <p className="mt-1 text-xs text-red-700">{error('url')}</p> : null}
        </div>
      )}
      <fieldset className="space-y-2">
        <legend className="label">{secretKind === 'env' ? 'Secret environment variables' : 'Secret headers'}</legend>
        <p className="text-xs text-slate-500">Write-only: values are encrypted at rest and never shown again.</p>
        {secrets.map((row, i) => (
          <div key={row.key} className="flex gap-2">
            <input aria-label={`Secret ${i + 1} name`} name={`${secretKind}Name`} className="input font-mono" placeholder={secretKind === 'env' ? 'API_TOKEN' : 'Authorization'} />
            <input aria-label={`Secret ${i + 1} value`} name={`${secretKind}Value`} type="password" autoComplete="off" className="input font-mono" />
            <button type="button" className="btn btn-sm" onClick={() => setSecrets((s) => s.filter((r) => r.key !== row.key))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="btn btn-sm" onClick={() => setSecrets((s) => [...s, { key: Date.now() + s.length }])}>
          {secretKind === 'env' ? 'Add environment variable' : 'Add header'}
        </button>
      </fieldset>
      <FormStatus state={state} />
      <button type="submit" className="btn btn-primary" disabled={pending}>
        {pending ? 'Registering…' : 'Register server'}
      </button>
    </form>
  );
}
