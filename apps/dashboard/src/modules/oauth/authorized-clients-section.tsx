// The grant page's list of OAuth clients (MCP authorization), each revocable on its own.
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { ConfirmAction } from '../../components/confirm-action';
import { Time } from '../../components/time';
import type { AuthorizedClientView } from './authorized-clients';
import { revokeAuthorizedClientAction } from './authorized-clients-actions';

export function AuthorizedClientsSection({
  orgSlug,
  clients,
  canEdit,
}: {
  orgSlug: string;
  clients: AuthorizedClientView[];
  canEdit: boolean;
}) {
  return (
    <ListSection id="authorized-clients" title="Authorized clients (OAuth)">
      <DataTable
        columns={['Client', 'Grant', 'Server or toolset', 'Authorized', 'Last token', ACTIONS_COLUMN]}
        empty={
          clients.length === 0 &&
          'No client has connected with OAuth yet. Give an MCP client just the proxy URL to start.'
        }
      >
        {clients.map((c) => (
          <tr key={`${c.grantId}:${c.clientId}`}>
            <td className="font-medium" title={c.clientIdentifier}>
              {c.clientName}
            </td>
            <td>{c.grantName}</td>
            <td>{c.targetName}</td>
            <td>
              <Time value={c.authorizedAt} />
            </td>
            <td>
              <Time value={c.lastIssuedAt} />
            </td>
            <td className="text-right">
              {canEdit ? (
                <ConfirmAction
                  action={revokeAuthorizedClientAction}
                  fields={{ orgSlug, grantId: c.grantId, clientId: c.clientId }}
                  label="Revoke"
                  ariaLabel={`Revoke ${c.clientName} on ${c.grantName}`}
                  title={`Revoke “${c.clientName}” on grant “${c.grantName}”?`}
                  body={`Its access and refresh tokens stop working at once: it gets 401 on its next call and must be authorized again. The grant and its other clients stay.`}
                  confirmLabel="Revoke client"
                />
              ) : null}
            </td>
          </tr>
        ))}
      </DataTable>
    </ListSection>
  );
}
