'use client';

import { useActionState, useState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { registerServerAction } from '../actions';
import { SignInNotice } from '../../upstream-oauth/sign-in-notice';

type Transport = 'streamable_http' | 'sse' | 'stdio';
interface SecretRow {
  key: number;
}

/** A stdio template as the operator offers it (see @portcullis/upstream's describeTemplate). */
export interface TemplateChoice {
  id: string;
  name: string;
  description: string;
  env: Array<{ name: string; required: boolean; description: string }>;
  extraArgs: { max: number; description: string } | null;
}

const CUSTOM = '';

export function RegisterServerForm({
  orgSlug,
  templates,
  freeform,
}: {
  orgSlug: string;
  templates: TemplateChoice[];
  freeform: boolean;
}) {
  const [state, action, pending] = useActionState(registerServerAction, null);
  const [transport, setTransport] = useState<Transport>('streamable_http');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [templateId, setTemplateId] = useState(templates[0]?.id ?? CUSTOM);
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [templateEnv, setTemplateEnv] = useState<Record<string, string>>({});
  const [secrets, setSecrets] = useState<SecretRow[]>([]);
  const template = templates.find((t) => t.id === templateId);
  const custom = transport === 'stdio' && !template;
  // Free rows: headers for URLs, env for a free-form command; a template declares its own variables.
  const secretKind = transport === 'stdio' ? 'env' : 'header';
  const twikit = templates.find((t) => t.id === 'twikit');
  const stdioOffered = templates.length > 0 || freeform;
  const error = (field: string) =>
    state &&
    !state.ok &&
    (state.field === field || state.field === `/${field}` || state.field?.startsWith(`${field}/`))
      ? state.error
      : undefined;

  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-64 flex-1">
          <label htmlFor="server-name" className="label">
            Name
          </label>
          <input
            id="server-name"
            name="name"
            className="input"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <FieldError message={error('name')} />
        </div>
        {twikit ? (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setTransport('stdio');
              setName((n) => n || twikit.name);
              setTemplateId(twikit.id);
            }}
          >
            Use Twikit preset
          </button>
        ) : null}
      </div>
      <fieldset>
        <legend className="label">Transport</legend>
        <div className="flex flex-wrap gap-4 text-sm">
          {(
            [
              ['streamable_http', 'Streamable HTTP URL'],
              ['sse', 'SSE URL'],
              ['stdio', 'stdio server'],
            ] as const
          )
            .filter(([value]) => value !== 'stdio' || stdioOffered)
            .map(([value, label]) => (
              <label key={value} className="inline-flex items-center gap-2">
                <input
                  type="radio"
                  name="transport"
                  value={value}
                  checked={transport === value}
                  onChange={() => setTransport(value)}
                />
                {label}
              </label>
            ))}
        </div>
      </fieldset>
      {transport === 'stdio' ? (
        <div className="space-y-3">
          <div>
            <label htmlFor="server-template" className="label">
              Server
            </label>
            <select
              id="server-template"
              name="stdioTemplate"
              className="input"
              value={templateId}
              onChange={(e) => setTemplateId(e.target.value)}
            >
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
              {freeform ? <option value={CUSTOM}>Custom command line</option> : null}
            </select>
            <p className="mt-1 text-xs text-slate-500">
              {template?.description ||
                (template ? '' : 'Runs the command line you enter, confined like every stdio server.')}{' '}
              stdio servers run in the gateway&apos;s sandbox, as defined by the operator.
            </p>
            {error('stdioTemplate') ? (
              <p className="mt-1 text-xs text-red-700">{error('stdioTemplate')}</p>
            ) : null}
          </div>
          {custom ? (
            <div className="grid gap-3 md:grid-cols-2">
              <div>
                <label htmlFor="server-command" className="label">
                  Command
                </label>
                <input
                  id="server-command"
                  name="command"
                  className="input font-mono"
                  value={command}
                  onChange={(e) => setCommand(e.target.value)}
                  required
                />
                <FieldError message={error('command')} />
              </div>
              <div>
                <label htmlFor="server-args" className="label">
                  Arguments (one per line)
                </label>
                <textarea
                  id="server-args"
                  name="args"
                  rows={2}
                  className="input font-mono"
                  value={args}
                  onChange={(e) => setArgs(e.target.value)}
                />
              </div>
            </div>
          ) : null}
          {template?.extraArgs ? (
            <div>
              <label htmlFor="server-args" className="label">
                Extra arguments (one per line, at most {template.extraArgs.max})
              </label>
              <textarea
                id="server-args"
                name="args"
                rows={2}
                className="input font-mono"
                value={args}
                onChange={(e) => setArgs(e.target.value)}
              />
              {template.extraArgs.description ? (
                <p className="mt-1 text-xs text-slate-500">{template.extraArgs.description}</p>
              ) : null}
              <FieldError message={error('args')} />
            </div>
          ) : null}
          {template && template.env.length ? (
            <fieldset className="space-y-2">
              <legend className="label">Secret environment variables</legend>
              <p className="text-xs text-slate-500">
                Write-only: values are encrypted at rest and never shown again. Leave a field empty to leave
                it unset.
              </p>
              {template.env.map((v) => (
                <div key={v.name}>
                  <label htmlFor={`env-${v.name}`} className="text-xs font-medium font-mono">
                    {v.name}
                    {v.required ? ' (required)' : ''}
                  </label>
                  {templateEnv[v.name] ? <input type="hidden" name="envName" value={v.name} /> : null}
                  <input
                    id={`env-${v.name}`}
                    name={templateEnv[v.name] ? 'envValue' : undefined}
                    type="password"
                    autoComplete="off"
                    className="input font-mono"
                    required={v.required}
                    value={templateEnv[v.name] ?? ''}
                    onChange={(e) => setTemplateEnv((current) => ({ ...current, [v.name]: e.target.value }))}
                  />
                  {v.description ? <p className="mt-1 text-xs text-slate-500">{v.description}</p> : null}
                </div>
              ))}
              <FieldError message={error('env')} />
            </fieldset>
          ) : null}
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
          <FieldError message={error('url')} />
          <SignInNotice orgSlug={orgSlug} url={url} />
        </div>
      )}
      {transport !== 'stdio' || custom ? (
        <fieldset className="space-y-2">
          <legend className="label">
            {secretKind === 'env' ? 'Secret environment variables' : 'Secret headers'}
          </legend>
          <p className="text-xs text-slate-500">
            Write-only: values are encrypted at rest and never shown again.
          </p>
          {secrets.map((row, i) => (
            <div key={row.key} className="flex gap-2">
              <input
                aria-label={`Secret ${i + 1} name`}
                name={`${secretKind}Name`}
                className="input font-mono"
                placeholder={secretKind === 'env' ? 'API_TOKEN' : 'Authorization'}
              />
              <input
                aria-label={`Secret ${i + 1} value`}
                name={`${secretKind}Value`}
                type="password"
                autoComplete="off"
                className="input font-mono"
              />
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => setSecrets((s) => s.filter((r) => r.key !== row.key))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => setSecrets((s) => [...s, { key: Date.now() + s.length }])}
          >
            {secretKind === 'env' ? 'Add environment variable' : 'Add header'}
          </button>
        </fieldset>
      ) : null}
      <FormStatus state={state} />
      <button type="submit" className="btn btn-primary" disabled={pending}>
        {pending ? 'Registering…' : 'Register server'}
      </button>
    </form>
  );
}

function FieldError({ message }: { message: string | undefined }) {
  return message ? <p className="mt-1 text-xs text-red-700">{message}</p> : null;
}
