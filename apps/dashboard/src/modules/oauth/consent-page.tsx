// /oauth/authorize: who is asking (client name, redirect host), for which organization and server
// (or toolset), and which grant the client's tokens will act under.
import { redirect } from 'next/navigation';
import { AuthCard } from '../accounts/components/auth-card';
import { db } from '../../server/db';
import { requireUser } from '../../server/guard';
import { NotFoundError } from '../../server/errors';
import { consentAction } from './actions';
import { validateAuthorizationRequest } from './authorization-server';
import { loadConsent, type ConsentView } from './consent';

function Refused({ message }: { message: string }) {
  return (
    <AuthCard title="Authorization refused">
      <p role="alert" className="text-sm text-red-800">
        {message}
      </p>
      <p className="mt-3 text-sm text-slate-600">
        Nothing was sent back to the client. Start the connection again from the MCP client.
      </p>
    </AuthCard>
  );
}

export async function ConsentPage({
  searchParams,
}: {
  searchParams: Record<string, string | string[] | undefined>;
}) {
  const user = await requireUser();
  const params: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(searchParams)) if (typeof value === 'string') params[key] = value;
  const result = await validateAuthorizationRequest(db(), params);
  if (!result.ok) {
    if (result.refusal.redirect) redirect(result.refusal.redirect);
    return <Refused message={result.refusal.description} />;
  }
  const request = result.request;
  let view: ConsentView;
  try {
    view = await loadConsent(db(), user.id, request);
  } catch (error) {
    if (error instanceof NotFoundError)
      return (
        <Refused message="This MCP server or toolset does not exist, or you are not a member of its organization." />
      );
    throw error;
  }
  const redirectHost = new URL(request.redirectUri).host || request.redirectUri;
  return (
    <AuthCard title={`Connect ${request.client.name}`}>
      <dl className="mb-4 space-y-2 text-sm">
        <div>
          <dt className="font-medium text-slate-600">Client</dt>
          <dd data-testid="oauth-client-name">{request.client.name}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Sends you back to</dt>
          <dd data-testid="oauth-redirect-host">{redirectHost}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">Organization</dt>
          <dd>{view.organization.name}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-600">
            {view.target.kind === 'toolset' ? 'Toolset' : 'Server'}
          </dt>
          <dd>{view.target.name}</dd>
        </div>
      </dl>
      {view.canAuthorize ? (
        <form action={consentAction} className="space-y-3">
          {Object.entries(request.params).map(([key, value]) => (
            <input key={key} type="hidden" name={key} value={value} />
          ))}
          <fieldset className="space-y-2 text-sm">
            <legend className="mb-1 font-medium">
              The client acts under the policy, limits and approvals of
            </legend>
            <label className="flex items-center gap-2">
              <input type="radio" name="grant" value="new" defaultChecked />
              a new grant named
              <input
                name="grantName"
                aria-label="New grant name"
                defaultValue={request.client.name}
                maxLength={100}
                className="input flex-1"
              />
            </label>
            {view.grants.map((grant) => (
              <label key={grant.id} className="flex items-center gap-2">
                <input type="radio" name="grant" value={grant.id} />
                the existing grant {grant.name}{' '}
                <span className="font-mono text-xs text-slate-500">{grant.tokenPrefix}…</span>
              </label>
            ))}
          </fieldset>
          <div className="flex gap-2">
            <button type="submit" name="decision" value="allow" className="btn btn-primary">
              Allow
            </button>
            <button type="submit" name="decision" value="deny" className="btn">
              Deny
            </button>
          </div>
        </form>
      ) : (
        <p role="alert" className="text-sm text-red-800">
          Only editors and above of {view.organization.name} can connect clients; ask one of them.
        </p>
      )}
    </AuthCard>
  );
}
