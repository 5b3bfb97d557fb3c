import Link from 'next/link';
import type { ToolOverride } from '@portcullis/policy/toolset';
import { Badge, DECISION_LABEL, DECISION_TONE } from '../../components/badge';
import { ConfirmAction } from '../../components/confirm-action';
import { CopyButton } from '../../components/copy-button';
import { DataTable, ListSection } from '../../components/data-table';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { notFoundOnMissing } from '../../server/not-found';
import { roleAtLeast } from '../../server/roles';
import { proxyUrlFor } from '../grants/grants';
import { listServers } from '../servers/servers';
import { ToolsetCallSimulator } from './components/toolset-call-simulator';
import { ToolsetForm } from './components/toolset-form';
import { deleteToolsetAction } from './toolset-actions';
import { describeEffect, effectiveTools, getToolset, toolChoices, type EffectiveTool } from './toolsets';

export async function ToolsetPage({ orgSlug, toolsetId }: { orgSlug: string; toolsetId: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const toolset = await notFoundOnMissing(getToolset(db(), ctx, toolsetId));
  const canEdit = roleAtLeast(ctx.role, 'editor');
  const [tools, servers, choices] = await Promise.all([
    effectiveTools(db(), ctx, toolset.id),
    canEdit ? listServers(db(), ctx) : Promise.resolve([]),
    canEdit ? toolChoices(db(), ctx) : Promise.resolve(new Map<string, never[]>()),
  ]);
  const url = proxyUrlFor(toolset.id);
  return (
    <div className="space-y-6">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
        <Link href={`/o/${ctx.orgSlug}/toolsets`} className="hover:underline">
          Toolsets
        </Link>{' '}
        / <span className="text-slate-700">{toolset.name}</span>
      </nav>
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="h1">{toolset.name}</h1>
          {toolset.description ? <p className="muted">{toolset.description}</p> : null}
          <p className="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-500">
            Agent URL: <span className="code">{url}</span> <CopyButton value={url} label="Copy URL" />
          </p>
          <p className="mt-1 text-xs text-slate-500">
            <Link href={`/o/${ctx.orgSlug}/grants`} className="underline">
              {toolset.activeGrants} active grant{toolset.activeGrants === 1 ? '' : 's'}
            </Link>{' '}
            · updated <Time value={toolset.updatedAt} />
          </p>
        </div>
        {canEdit ? (
          <ConfirmAction
            action={deleteToolsetAction}
            fields={{ orgSlug: ctx.orgSlug, toolsetId: toolset.id }}
            label="Delete toolset"
            title={`Delete toolset “${toolset.name}”?`}
            body={`Its ${toolset.activeGrants} active grant${toolset.activeGrants === 1 ? ' is' : 's are'} revoked with it; agents using them are cut off at once. The servers themselves are not touched.`}
            confirmLabel="Delete toolset"
            size="md"
          />
        ) : null}
      </header>

      <ListSection id="toolset-tools" title="Tools as agents see them">
        <p className="px-4 pt-3 text-xs text-slate-500">
          Each tool is decided by its own server&apos;s policy first (a call with no arguments shown here);
          the toolset only leaves tools out. Pinning always compares the upstream&apos;s own definition.
        </p>
        <DataTable
          columns={[
            'Agents see',
            'Server tool',
            'Upstream definition',
            'Override',
            'In toolset',
            'Effective',
          ]}
          empty={tools.length === 0 && 'No tools: the member servers have no tools in their catalogs yet.'}
        >
          {tools.map((t) => (
            <EffectiveRow key={`${t.serverId}:${t.upstreamName}`} tool={t} orgSlug={ctx.orgSlug} />
          ))}
        </DataTable>
      </ListSection>

      <section aria-labelledby="try-call" className="card p-5">
        <h2 id="try-call" className="h2">
          Try a call
        </h2>
        <p className="muted mb-3">
          Routes the name as the gateway does and decides it with the member server&apos;s active policy,
          arguments included. Nothing is sent to the server and no rate limit is used up.
        </p>
        <ToolsetCallSimulator
          orgSlug={ctx.orgSlug}
          toolsetId={toolset.id}
          tools={tools.map((t) => ({
            exposedName: t.exposedName,
            serverName: t.serverName,
            upstreamName: t.upstreamName,
          }))}
        />
      </section>

      {canEdit ? (
        <section aria-labelledby="edit-toolset" className="card p-5">
          <h2 id="edit-toolset" className="h2 mb-4">
            Members, subsets and overrides
          </h2>
          <ToolsetForm
            orgSlug={ctx.orgSlug}
            toolsetId={toolset.id}
            servers={servers.map((s) => ({ id: s.id, name: s.name, tools: choices.get(s.id) ?? [] }))}
            initial={{
              name: toolset.name,
              description: toolset.description ?? '',
              members: toolset.members.map((m) => ({
                serverId: m.serverId,
                prefix: m.prefix,
                allTools: m.allTools,
                tools: [...m.tools],
                overrides: Object.fromEntries(
                  Object.entries(m.overrides).map(([tool, o]) => [
                    tool,
                    { name: o.name ?? '', title: o.title ?? '', description: o.description ?? '' },
                  ]),
                ),
              })),
            }}
          />
        </section>
      ) : (
        <ListSection id="toolset-members" title="Members">
          <DataTable columns={['Server', 'Prefix', 'Tools']}>
            {toolset.members.map((m) => (
              <tr key={m.serverId}>
                <td>{m.serverName}</td>
                <td className="font-mono text-xs">{m.prefix}</td>
                <td className="text-xs">{m.allTools ? 'All' : m.tools.join(', ') || 'None'}</td>
              </tr>
            ))}
          </DataTable>
        </ListSection>
      )}
    </div>
  );
}

function OverrideText({ own, server }: { own: ToolOverride; server: ToolOverride }) {
  const rows = (['name', 'title', 'description'] as const).flatMap((field) => {
    const value = own[field] ?? server[field];
    if (!value) return [];
    return [{ field, value, from: own[field] ? 'toolset' : 'server' }];
  });
  if (rows.length === 0) return <span className="text-slate-500">—</span>;
  return (
    <dl className="space-y-1 text-xs">
      {rows.map((r) => (
        <div key={r.field}>
          {/* A <div> in a <dl> holds only <dt> and <dd>: where the text comes from is part of the term. */}
          <dt className="inline">
            <span className="font-medium capitalize">{r.field}</span>{' '}
            <span className="text-slate-500">({r.from})</span>:
          </dt>{' '}
          <dd className={`inline whitespace-pre-wrap ${r.field === 'name' ? 'font-mono' : ''}`}>{r.value}</dd>
        </div>
      ))}
    </dl>
  );
}

function EffectiveRow({ tool, orgSlug }: { tool: EffectiveTool; orgSlug: string }) {
  const effect = describeEffect(tool);
  return (
    <tr className={tool.inSubset ? undefined : 'text-slate-500'}>
      <td className="font-mono text-xs break-all">{tool.exposedName}</td>
      <td className="text-xs">
        <Link href={`/o/${orgSlug}/servers/${tool.serverId}`} className="text-sky-700 hover:underline">
          {tool.serverName}
        </Link>
        <span className="block font-mono">{tool.upstreamName}</span>
      </td>
      <td className="max-w-md text-xs">
        {tool.upstream.title ? <p className="font-medium">{tool.upstream.title}</p> : null}
        <p className="line-clamp-4 whitespace-pre-wrap text-slate-600">{tool.upstream.description ?? '—'}</p>
      </td>
      <td className="max-w-md">
        <OverrideText own={tool.toolsetOverride} server={tool.serverOverride} />
      </td>
      <td>{tool.inSubset ? <Badge tone="green">yes</Badge> : <Badge tone="slate">left out</Badge>}</td>
      <td className="text-xs">
        <Badge tone={DECISION_TONE[effect.effect] ?? 'slate'}>
          {DECISION_LABEL[effect.effect] ?? effect.effect}
        </Badge>
        <span className="mt-1 block">{effect.label}</span>
        <span className="block text-slate-600">rule {tool.decision.rule}</span>
      </td>
    </tr>
  );
}
