// "Connections": the upstream accounts the signed-in member's calls use (their own on per-user
// servers, the organization's on shared ones), with scopes, expiry, connect and disconnect.
import { Badge } from '../../components/badge';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { RowAction } from '../../components/row-action';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { connectAction, disconnectAction } from './connection-actions';
import { listConnections } from './connections';

export async function ConnectionsPage({
  orgSlug,
  highlight,
  connected,
}: {
  orgSlug: string;
  /** ?server=…: the server an agent's "connect your account" message pointed at. */
  highlight: string | undefined;
  connected: string | undefined;
}) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const views = await listConnections(db(), ctx);
  const wanted = views.find((v) => v.serverId === highlight);
  const justConnected = views.find((v) => v.serverId === connected);
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Connections</h1>
        <p className="muted">
          Servers behind sign-in act as a person. On per-user servers each member connects their own account
          and their grants act as them; on shared servers an admin connects one account for every grant.
          Tokens stay on the server, encrypted; they are never shown.
        </p>
      </header>
      {justConnected ? (
        <p role="status" className="card p-4 text-sm text-emerald-800">
          Connected {justConnected.serverName}.
        </p>
      ) : null}
      {wanted && !(wanted.connection?.status === 'active') ? (
        <section aria-labelledby="connect-wanted" className="card p-5">
          <h2 id="connect-wanted" className="h2 mb-2">
            Connect {wanted.serverName}
          </h2>
          <p className="muted mb-3">
            {wanted.canConnect
              ? `An agent needs your ${wanted.mode === 'shared' ? "organization's" : ''} account at ${wanted.issuer} to use this server.`
              : 'This server uses one shared account; ask an admin of the organization to connect it.'}
          </p>
          {wanted.canConnect ? (
            <ConnectButton
              orgSlug={ctx.orgSlug}
              serverId={wanted.serverId}
              label={`Connect ${wanted.serverName}`}
            />
          ) : null}
        </section>
      ) : null}
      <ListSection id="connections-heading" title="Servers behind sign-in">
        <DataTable
          columns={['Server', 'Account', 'Status', 'Scopes', 'Token expires', ACTIONS_COLUMN]}
          empty={views.length === 0 && 'No server of this organization asks for sign-in.'}
        >
          {views.map((v) => (
            <tr key={v.serverId}>
              <td>{v.serverName}</td>
              <td>{v.mode === 'shared' ? 'shared (organization)' : 'yours'}</td>
              <td>
                {!v.connection ? (
                  <Badge tone="slate">not connected</Badge>
                ) : v.connection.status === 'active' ? (
                  <Badge tone="green">connected</Badge>
                ) : (
                  <Badge tone="amber" title={v.connection.lastError ?? undefined}>
                    needs reconnect
                  </Badge>
                )}
              </td>
              <td className="text-xs">{v.connection?.scopes.join(' ') || '—'}</td>
              <td>{v.connection?.accessExpiresAt ? <Time value={v.connection.accessExpiresAt} /> : '—'}</td>
              <td className="flex justify-end gap-2">
                {v.canConnect ? (
                  <ConnectButton
                    orgSlug={ctx.orgSlug}
                    serverId={v.serverId}
                    label={v.connection ? 'Reconnect' : 'Connect'}
                    ariaLabel={`${v.connection ? 'Reconnect' : 'Connect'} ${v.serverName}`}
                  />
                ) : null}
                {v.canDisconnect && v.connection ? (
                  <RowAction
                    action={disconnectAction}
                    fields={{ orgSlug: ctx.orgSlug, connectionId: v.connection.id }}
                    label="Disconnect"
                    ariaLabel={`Disconnect ${v.serverName}`}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      </ListSection>
    </div>
  );
}

function ConnectButton({
  orgSlug,
  serverId,
  label,
  ariaLabel,
}: {
  orgSlug: string;
  serverId: string;
  label: string;
  ariaLabel?: string;
}) {
  return (
    <form action={connectAction}>
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <input type="hidden" name="serverId" value={serverId} />
      <button type="submit" className="btn btn-sm btn-primary" aria-label={ariaLabel}>
        {label}
      </button>
    </form>
  );
}
