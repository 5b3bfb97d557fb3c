'use client';

import { useActionState, useState } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { FormStatus } from '../../../components/form-status';
import { createGrantAction, type CreatedGrantView } from '../actions';
import { oauthSetups, tokenEnvName, tokenSetups } from '../client-setups';

export function CreateGrantForm({
  orgSlug,
  servers,
  toolsets = [],
  defaultServerId,
  activeGrantIds,
}: {
  orgSlug: string;
  servers: Array<{ id: string; name: string }>;
  /** The organization's toolsets: a grant reaches one server or one toolset. */
  toolsets?: Array<{ id: string; name: string }>;
  defaultServerId?: string;
  /** Grants still usable; the setups panel of one revoked since it was created disappears. */
  activeGrantIds: string[];
}) {
  const [state, action, pending] = useActionState(createGrantAction, null);
  // "server:<id>" or "toolset:<id>"; the form sends it as serverId or toolsetId.
  const [target, setTarget] = useState(() => {
    const first = (servers.find((s) => s.id === defaultServerId) ?? servers[0])?.id;
    return first ? `server:${first}` : toolsets[0] ? `toolset:${toolsets[0].id}` : '';
  });
  const colon = target.indexOf(':');
  const targetKind = target.slice(0, colon);
  const targetId = target.slice(colon + 1);
  const [expiresLocal, setExpiresLocal] = useState('');
  const expiresIso = expiresLocal ? new Date(expiresLocal).toISOString() : '';
  const created = state?.ok && activeGrantIds.includes(state.data.grantId) ? state.data : null;

  return (
    <div className="space-y-4">
      <form action={action} className="grid gap-3 md:grid-cols-[1fr_1fr_14rem_auto] md:items-end">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <input type="hidden" name="expiresAt" value={expiresIso} />
        <div>
          <label htmlFor="grant-name" className="label">
            Grant name
          </label>
          <input
            id="grant-name"
            name="name"
            className="input"
            required
            maxLength={100}
            placeholder="e.g. claude-code-laptop"
          />
        </div>
        <input type="hidden" name="serverId" value={targetKind === 'server' ? targetId : ''} />
        <input type="hidden" name="toolsetId" value={targetKind === 'toolset' ? targetId : ''} />
        <div>
          <label htmlFor="grant-server" className="label">
            {toolsets.length > 0 ? 'Server or toolset' : 'Server'}
          </label>
          <select
            id="grant-server"
            className="input"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            required
          >
            {toolsets.length > 0 ? (
              <>
                <optgroup label="Servers">
                  {servers.map((s) => (
                    <option key={s.id} value={`server:${s.id}`}>
                      {s.name}
                    </option>
                  ))}
                </optgroup>
                <optgroup label="Toolsets">
                  {toolsets.map((t) => (
                    <option key={t.id} value={`toolset:${t.id}`}>
                      {t.name}
                    </option>
                  ))}
                </optgroup>
              </>
            ) : (
              servers.map((s) => (
                <option key={s.id} value={`server:${s.id}`}>
                  {s.name}
                </option>
              ))
            )}
          </select>
        </div>
        <div>
          <label htmlFor="grant-expiry" className="label">
            Expires (optional)
          </label>
          <input
            id="grant-expiry"
            type="datetime-local"
            className="input"
            value={expiresLocal}
            onChange={(e) => setExpiresLocal(e.target.value)}
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={pending || target === ''}>
          {pending ? 'Creating…' : 'Create grant'}
        </button>
      </form>
      {state && !state.ok ? <FormStatus state={state} /> : null}
      {created ? <CreatedGrantPanel created={created} /> : null}
    </div>
  );
}

function CreatedGrantPanel({ created }: { created: CreatedGrantView }) {
  // Clients prefix tools with the server's (or toolset's) name (mcp__twikit__send_tweet), as agents know it.
  const oauth = oauthSetups(created.targetName, created.proxyUrl);
  const withToken = tokenSetups(created.targetName, created.proxyUrl);
  return (
    <section
      aria-labelledby="grant-created"
      role="region"
      className="rounded-lg border border-amber-300 bg-amber-50 p-4"
    >
      <h3 id="grant-created" className="h2">
        Grant “{created.name}” created for {created.targetKind === 'toolset' ? 'the toolset ' : ''}
        {created.targetName}
      </h3>
      <p className="mt-1 text-sm text-amber-900">
        Copy the token now: it is shown only once and stored only as a hash.
      </p>
      <dl className="mt-3 space-y-3 text-sm">
        <div>
          <dt className="font-medium">Proxy URL</dt>
          <dd className="mt-1 flex flex-wrap items-center gap-2">
            <code className="code break-all" data-testid="grant-proxy-url">
              {created.proxyUrl}
            </code>
            <CopyButton value={created.proxyUrl} label="Copy proxy URL" />
          </dd>
        </div>
        <div>
          <dt className="font-medium">Token</dt>
          <dd className="mt-1 flex flex-wrap items-center gap-2">
            <code className="code break-all" data-testid="grant-token">
              {created.token}
            </code>
            <CopyButton value={created.token} label="Copy token" />
          </dd>
        </div>
        <div>
          <dt className="font-medium">URL with embedded token (for clients that cannot send headers)</dt>
          <dd className="mt-1 flex flex-wrap items-center gap-2">
            <code className="code break-all">{created.embeddedUrl}</code>
            <CopyButton value={created.embeddedUrl} label="Copy URL with embedded token" />
          </dd>
        </div>
      </dl>
      <h4 className="mt-4 text-sm font-semibold">
        Set up your client with OAuth (recommended: just the URL)
      </h4>
      <p className="mt-1 text-xs text-slate-600">
        The client opens this dashboard to sign in; you pick a grant (a new one, or this one) and it gets
        short-lived tokens bound to it. No token in any file.
      </p>
      <div className="mt-2 grid gap-3 lg:grid-cols-3">
        {oauth.map((s) => (
          <Snippet key={s.title} {...s} />
        ))}
      </div>
      <h4 className="mt-4 text-sm font-semibold">Or with this grant’s token</h4>
      <p className="mt-1 text-xs text-slate-600">
        The configs read the token from a secret, never from the file: set{' '}
        <code className="code">{tokenEnvName(created.targetName)}</code> in the client’s environment, or let
        VS Code ask for it.
      </p>
      <div className="mt-2 grid gap-3 lg:grid-cols-3">
        {withToken.map((s) => (
          <Snippet key={s.title} {...s} />
        ))}
      </div>
      <p className="mt-3 text-xs text-slate-600">
        Any other MCP client: the proxy URL alone (OAuth), or with the header{' '}
        <code className="code">Authorization: Bearer &lt;token&gt;</code>, or the URL with the embedded token.
      </p>
    </section>
  );
}

function Snippet({ title, text, copyLabel }: { title: string; text: string; copyLabel: string }) {
  return (
    <div className="rounded-md border border-slate-200 bg-white p-2">
      <div className="flex items-center justify-between gap-2">
        <span className="text-xs font-medium">{title}</span>
        <CopyButton value={text} label={copyLabel} />
      </div>
      <pre className="mt-1 max-h-48 overflow-auto font-mono text-xs whitespace-pre-wrap break-all">
        {text}
      </pre>
    </div>
  );
}
