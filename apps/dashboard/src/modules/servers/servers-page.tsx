import Link from 'next/link';
import { Time } from '../../components/time';
import { DataTable } from '../../components/data-table';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { RegisterServerForm } from './components/register-server-form';
import { ServerStatusBadge } from './components/status-badge';
import { listServers } from './servers';
import { freeformStdioAllowed, stdioTemplateChoices } from './upstream';

export async function ServersPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const servers = await listServers(db(), ctx);
  const canEdit = roleAtLeast(ctx.role, 'editor');
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Servers</h1>
        <p className="muted">Upstream MCP servers your agents reach through the gateway.</p>
      </header>
      <section aria-labelledby="servers-list" className="card">
        <h2 id="servers-list" className="sr-only">
          Registered servers
        </h2>
        <DataTable columns={['Name', 'Transport', 'Status', 'Tools', 'Last sync']} empty={servers.length === 0 && 'No servers yet. Register one below, or start with the Twikit preset.'}>
          {servers.map((s) => (
            <tr key={s.id}>
              <td>
                <Link href={`/o/${ctx.orgSlug}/servers/${s.id}`} className="font-medium text-sky-700 hover:underline">
                  {s.name}
                </Link>
              </td>
              <td className="font-mono text-xs">{s.transport === 'stdio' ? `stdio: ${s.stdioTemplate ?? s.command ?? ''}` : `${s.transport}: ${s.url ?? ''}`}</td>
              <td>
                <ServerStatusBadge status={s.status} />
              </td>
              <td className="tabular-nums">{s.toolCount}</td>
              <td>
                <Time value={s.lastSyncAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      </section>
      {canEdit ? (
        <section aria-labelledby="register-server" className="card p-5">
          <h2 id="register-server" className="h2 mb-4">
            Register a server
          </h2>
          <RegisterServerForm orgSlug={ctx.orgSlug} templates={stdioTemplateChoices()} freeform={freeformStdioAllowed(ctx.organizationId)} />
        </section>
      ) : null}
    </div>
  );
}
