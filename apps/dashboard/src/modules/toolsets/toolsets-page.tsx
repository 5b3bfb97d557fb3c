import Link from 'next/link';
import { DataTable } from '../../components/data-table';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { listServers } from '../servers/servers';
import { ToolsetForm } from './components/toolset-form';
import { listToolsets } from './toolsets';

export async function ToolsetsPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const [toolsets, servers] = await Promise.all([listToolsets(db(), ctx), listServers(db(), ctx)]);
  const canEdit = roleAtLeast(ctx.role, 'editor');
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Toolsets</h1>
        <p className="muted">
          Several servers behind one grant URL. Each tool stays under its own server&apos;s policy; a toolset
          can only leave tools out and rename them.
        </p>
      </header>
      <section aria-labelledby="toolsets-list" className="card">
        <h2 id="toolsets-list" className="sr-only">
          Toolsets
        </h2>
        <DataTable
          columns={['Name', 'Servers', 'Active grants', 'Updated']}
          empty={toolsets.length === 0 && 'No toolsets yet.'}
        >
          {toolsets.map((t) => (
            <tr key={t.id}>
              <td>
                <Link
                  href={`/o/${ctx.orgSlug}/toolsets/${t.id}`}
                  className="font-medium text-sky-700 hover:underline"
                >
                  {t.name}
                </Link>
                {t.description ? <p className="text-xs text-slate-500">{t.description}</p> : null}
              </td>
              <td className="text-xs">
                <ul className="space-y-0.5">
                  {t.members.map((m) => (
                    <li key={m.serverId}>
                      {m.serverName} as <span className="code">{m.prefix}__</span>
                      {m.allTools ? '' : `, ${m.tools.length} tool${m.tools.length === 1 ? '' : 's'}`}
                    </li>
                  ))}
                </ul>
              </td>
              <td className="tabular-nums">{t.activeGrants}</td>
              <td>
                <Time value={t.updatedAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      </section>
      {canEdit ? (
        <section aria-labelledby="create-toolset" className="card p-5">
          <h2 id="create-toolset" className="h2 mb-4">
            Create a toolset
          </h2>
          {servers.length === 0 ? (
            <p className="muted">Register a server first.</p>
          ) : (
            <ToolsetForm
              orgSlug={ctx.orgSlug}
              servers={servers.map((s) => ({ id: s.id, name: s.name, tools: [] }))}
              initial={{ name: '', description: '', members: [] }}
            />
          )}
        </section>
      ) : null}
    </div>
  );
}
