import { Badge } from '../../components/badge';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { ConfirmAction } from '../../components/confirm-action';
import { Time } from '../../components/time';
import { listServers } from '../servers/servers';
import { listAuthorizedClients } from '../oauth/authorized-clients';
import { AuthorizedClientsSection } from '../oauth/authorized-clients-section';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { revokeGrantAction } from './actions';
import { grantAccountStates } from '../upstream-oauth/connections';
import { CreateGrantForm } from './components/create-grant-form';
import {
  describeProtocolEras,
  grantStatus,
  grantTarget,
  listGrantableToolsets,
  listGrants,
  PROTOCOL_ERA_WINDOW_DAYS,
  protocolErasByGrant,
} from './grants';

export async function GrantsPage({ orgSlug, serverId }: { orgSlug: string; serverId?: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const [grants, servers, toolsets, oauthClients] = await Promise.all([
    listGrants(db(), ctx),
    listServers(db(), ctx),
    listGrantableToolsets(db(), ctx),
    listAuthorizedClients(db(), ctx),
  ]);
  const canEdit = roleAtLeast(ctx.role, 'editor');
  const [eras, accounts] = await Promise.all([
    protocolErasByGrant(
      db(),
      ctx,
      grants.map((g) => g.id),
    ),
    grantAccountStates(
      db(),
      ctx,
      grants.map((g) => g.id),
    ),
  ]);
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Grants</h1>
        <p className="muted">
          A grant lets one agent reach one server, or one toolset of servers, through the gateway, under each
          server’s policy.
        </p>
      </header>
      {canEdit ? (
        <section aria-labelledby="create-grant" className="card p-5">
          <h2 id="create-grant" className="h2 mb-3">
            Create a grant
          </h2>
          {servers.length === 0 && toolsets.length === 0 ? (
            <p className="muted">Register a server first.</p>
          ) : (
            <CreateGrantForm
              orgSlug={ctx.orgSlug}
              servers={servers.map((s) => ({ id: s.id, name: s.name }))}
              toolsets={toolsets}
              defaultServerId={serverId}
              activeGrantIds={grants.filter((g) => grantStatus(g) === 'active').map((g) => g.id)}
            />
          )}
        </section>
      ) : null}
      <ListSection id="grant-list" title="All grants">
        <DataTable
          columns={[
            'Name',
            'Server or toolset',
            'Token',
            'Status',
            'Last used',
            `Clients used (${PROTOCOL_ERA_WINDOW_DAYS} days)`,
            'Expires',
            ACTIONS_COLUMN,
          ]}
          empty={grants.length === 0 && 'No grants yet.'}
        >
          {grants.map((g) => {
            const status = grantStatus(g);
            const target = grantTarget(g);
            return (
              <tr key={g.id}>
                <td className="font-medium">{g.name}</td>
                <td>
                  {target.name}
                  {target.kind === 'toolset' ? (
                    <span className="ml-1 text-xs text-slate-500">(toolset)</span>
                  ) : null}
                  {accounts.has(g.id) ? (
                    <div className="text-xs">
                      <Badge tone={accounts.get(g.id) === 'connected' ? 'green' : 'amber'}>
                        account {accounts.get(g.id)}
                      </Badge>
                    </div>
                  ) : null}
                </td>
                <td className="font-mono text-xs">{g.tokenPrefix}…</td>
                <td>
                  <Badge tone={status === 'active' ? 'green' : status === 'revoked' ? 'red' : 'slate'}>
                    {status}
                  </Badge>
                </td>
                <td>
                  <Time value={g.lastUsedAt} />
                </td>
                <td className="text-xs">
                  {describeProtocolEras(eras.get(g.id)) ?? <span className="muted">none seen</span>}
                </td>
                <td>
                  <Time value={g.expiresAt} />
                </td>
                <td className="text-right">
                  {canEdit && status !== 'revoked' ? (
                    <ConfirmAction
                      action={revokeGrantAction}
                      fields={{ orgSlug: ctx.orgSlug, grantId: g.id }}
                      label="Revoke"
                      ariaLabel={`Revoke ${g.name}`}
                      title={`Revoke grant “${g.name}”?`}
                      body={`Its token and the OAuth clients authorized on it stop working at once: agents using it get 401 on their next call to ${target.name}. This cannot be undone; create a new grant to give access again.`}
                      confirmLabel="Revoke grant"
                    />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </DataTable>
      </ListSection>
      <AuthorizedClientsSection orgSlug={ctx.orgSlug} clients={oauthClients} canEdit={canEdit} />
    </div>
  );
}
