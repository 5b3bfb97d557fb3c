import Link from 'next/link';
import { Time } from '../../components/time';
import { DataTable } from '../../components/data-table';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { RegisterServerForm } from './components/register-server-form';
import { ServerStatusBadge } from './components/status-badge';
import { listServers } from './servers';
import { describeTransport } from './describe-transport';
import { Badge } from '../../components/badge';
import { FirstRunChecklist } from '../onboarding/first-run-checklist';
import { firstRunSteps } from '../onboarding/first-run';
import { freeformStdioAllowed, stdioTemplateChoices } from './upstream';

export async function ServersPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const [servers, steps, activePolicies] = await Promise.all([
    listServers(db(), ctx),
    firstRunSteps(db(), ctx),
    db().policyVersion.findMany({
      where: { organizationId: ctx.organizationId, active: true },
      select: { serverId: true, version: true },
    }),
  ]);
  const policyVersion = new Map(activePolicies.map((p) => [p.serverId, p.version]));
  const templates = stdioTemplateChoices();
  const canEdit = roleAtLeast(ctx.role, 'editor');
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Servers</h1>
        <p className="muted">Upstream MCP servers your agents reach through the gateway.</p>
      </header>
      {steps ? <FirstRunChecklist steps={steps} /> : null}
      <section aria-labelledby="servers-list" className="card">
        <h2 id="servers-list" className="sr-only">
          Registered servers
        </h2>
        <DataTable
          columns={['Name', 'Transport', 'Policy', 'Status', 'Tools', 'Last sync']}
          empty={
            servers.length === 0 && 'No servers yet. Register one below, or start with the Twikit preset.'
          }
        >
          {servers.map((s) => (
            <tr key={s.id}>
              <td>
                <Link
                  href={`/o/${ctx.orgSlug}/servers/${s.id}`}
                  className="font-medium text-sky-700 hover:underline"
                >
                  {s.name}
                </Link>
              </td>
              <td className="text-xs break-all">{describeTransport(s, templates)}</td>
              <td className="text-xs">
                {policyVersion.has(s.id) ? (
                  `Version ${policyVersion.get(s.id)}`
                ) : (
                  <Link
                    href={`/o/${ctx.orgSlug}/servers/${s.id}/policy`}
                    className="no-underline"
                    title="The gateway denies every call to a server without a policy"
                  >
                    <Badge tone="red">No policy: every call is denied</Badge>
                  </Link>
                )}
              </td>
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
          <RegisterServerForm
            orgSlug={ctx.orgSlug}
            templates={templates}
            freeform={freeformStdioAllowed(ctx.organizationId)}
          />
        </section>
      ) : null}
    </div>
  );
}
