import { Badge } from '../../components/badge';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { RowAction } from '../../components/row-action';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { revokeApiKeyAction } from './actions';
import { listApiKeys } from './api-keys';
import { CreateKeyForm } from './components/create-key-form';

export async function ApiKeysPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const isAdmin = roleAtLeast(ctx.role, 'admin');
  const keys = await listApiKeys(db(), ctx);
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">API keys</h1>
        <p className="muted">
          For the REST API at <code className="code">/api/v1</code>: send{' '}
          <code className="code">Authorization: Bearer pck_…</code>. The OpenAPI document is at{' '}
          <a className="text-sky-700 underline" href="/api/v1/openapi.json">
            /api/v1/openapi.json
          </a>
          .
        </p>
      </header>
      {isAdmin ? (
        <section aria-labelledby="new-key" className="card p-5">
          <h2 id="new-key" className="h2 mb-3">
            Create a key
          </h2>
          <CreateKeyForm orgSlug={ctx.orgSlug} />
        </section>
      ) : null}
      <ListSection id="keys-heading" title="Keys">
        <DataTable
          columns={['Name', 'Key', 'Role', 'Last used', 'Status', ACTIONS_COLUMN]}
          empty={keys.length === 0 && 'No API keys yet.'}
        >
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td className="font-mono text-xs">{k.prefix}…</td>
              <td>{k.role}</td>
              <td>
                <Time value={k.lastUsedAt} />
              </td>
              <td>{k.revokedAt ? <Badge tone="red">revoked</Badge> : <Badge tone="green">active</Badge>}</td>
              <td className="text-right">
                {isAdmin && !k.revokedAt ? (
                  <RowAction
                    action={revokeApiKeyAction}
                    fields={{ orgSlug: ctx.orgSlug, keyId: k.id }}
                    label="Revoke"
                    ariaLabel={`Revoke key ${k.name}`}
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
