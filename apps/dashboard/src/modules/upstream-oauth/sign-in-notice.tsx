'use client';

import { useEffect, useState } from 'react';
import type { ClientRegistrationMethod } from '@portcullis/upstream/oauth-discovery';
import { checkSignInAction } from './actions';

const METHOD_TEXT: Record<ClientRegistrationMethod, string> = {
  pre_registered: 'your registered app (client id and secret)',
  metadata_document: "Portcullis's client metadata document",
  dynamic: 'dynamic client registration',
};

type Check =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'open' }
  | { kind: 'error'; message: string }
  | { kind: 'sign-in'; issuer: string; scopes: string[]; method: ClientRegistrationMethod | null };

/**
 * Under the URL field of the registration form: whether the server asks for OAuth sign-in, with the
 * issuer, scopes and registration method, and the fields that go with it. The server re-runs
 * discovery when the form is submitted; this is only what the user is shown.
 */
export function SignInNotice({ orgSlug, url }: { orgSlug: string; url: string }) {
  const [check, setCheck] = useState<Check>({ kind: 'idle' });
  const [clientId, setClientId] = useState('');

  useEffect(() => {
    if (!/^https?:\/\/[^/]+/.test(url)) return setCheck({ kind: 'idle' });
    let live = true;
    const timer = setTimeout(() => {
      setCheck({ kind: 'checking' });
      void checkSignInAction(orgSlug, url).then((result) => {
        if (!live) return;
        if (!result) return setCheck({ kind: 'idle' });
        if (!result.ok) return setCheck({ kind: 'error', message: result.error });
        setCheck(result.data ? { kind: 'sign-in', ...result.data } : { kind: 'open' });
      });
    }, 600);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [orgSlug, url]);

  if (check.kind === 'checking')
    return <p className="text-sm text-gray-500">Checking whether it needs sign-in…</p>;
  if (check.kind === 'error')
    return (
      <p className="text-sm text-red-700" role="alert">
        {check.message}
      </p>
    );
  if (check.kind !== 'sign-in') return null;
  const method = clientId ? 'pre_registered' : check.method;
  return (
    <section className="space-y-3 rounded border border-amber-300 bg-amber-50 p-3" aria-label="Sign-in">
      <h3 className="font-medium">This server needs sign-in</h3>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 text-sm">
        <dt className="text-gray-600">Issuer</dt>
        <dd className="font-mono" data-testid="oauth-issuer">
          {check.issuer}
        </dd>
        <dt className="text-gray-600">Scopes</dt>
        <dd className="font-mono">{check.scopes.length ? check.scopes.join(' ') : '(none requested)'}</dd>
        <dt className="text-gray-600">Registration</dt>
        <dd data-testid="oauth-method">
          {method ? METHOD_TEXT[method] : 'enter the client id of an app you registered there'}
        </dd>
      </dl>
      <fieldset className="space-y-1">
        <legend className="label">Connections</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="connectionMode" value="per_user" defaultChecked /> Per user: each member
          connects their own account
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="connectionMode" value="shared" /> Shared: an admin connects one account
          for every grant
        </label>
      </fieldset>
      <div className="grid gap-2 sm:grid-cols-2">
        <div>
          <label htmlFor="oauth-client-id" className="label">
            Client id {check.method ? '(optional)' : ''}
          </label>
          <input
            id="oauth-client-id"
            name="oauthClientId"
            className="input font-mono"
            value={clientId}
            onChange={(e) => setClientId(e.target.value)}
            required={!check.method}
          />
        </div>
        <div>
          <label htmlFor="oauth-client-secret" className="label">
            Client secret (optional)
          </label>
          <input
            id="oauth-client-secret"
            name="oauthClientSecret"
            type="password"
            className="input font-mono"
            autoComplete="off"
          />
        </div>
      </div>
    </section>
  );
}
