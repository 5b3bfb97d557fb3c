import Link from 'next/link';
import type { PinState, RiskCategory, RiskSeverity } from '@portcullis/db/types';
import { Time } from '../../components/time';
import { DataTable } from '../../components/data-table';
import { ConfirmAction } from '../../components/confirm-action';
import { ServerActions } from '../servers/components/server-actions';
import { ServerStatusBadge } from '../servers/components/status-badge';
import { getServer } from '../servers/servers';
import { deleteServerAction } from '../servers/actions';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { ToolRow } from './components/tool-row';
import { compileActivePolicy, EFFECT_LABEL, effectTotals, POLICY_EFFECTS, toolEffect } from './policy-effect';
import { CATEGORY_LABEL } from '../../components/badge';
import { effectiveRisk, listTools } from './tools';
import { catalogFilterQuery } from './catalog-filter';
import { notFoundOnMissing } from '../../server/not-found';
import { AuditContentSection } from '../servers/components/audit-content-section';
import { ServerSignIn } from '../upstream-oauth/server-sign-in';

type Search = {
  q?: string;
  category?: string;
  severity?: string;
  pin?: string;
  effect?: string;
  review?: string;
};

function pick<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.includes(value as T) ? (value as T) : undefined;
}

export async function CatalogPage({
  orgSlug,
  serverId,
  search,
}: {
  orgSlug: string;
  serverId: string;
  search: Search;
}) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const server = await notFoundOnMissing(getServer(db(), ctx, serverId));
  const filter = {
    q: search.q?.slice(0, 200) || undefined,
    category: pick<RiskCategory>(search.category, ['read', 'write', 'destructive']),
    severity: pick<RiskSeverity>(search.severity, ['low', 'medium', 'high']),
    pin: pick<PinState>(search.pin, ['approved', 'changed', 'blocked', 'pending']),
  };
  const effectFilter = pick(search.effect, POLICY_EFFECTS);
  const [everyTool, active] = await Promise.all([
    listTools(db(), ctx, serverId),
    db().policyVersion.findFirst({
      where: { serverId, organizationId: ctx.organizationId, active: true },
      select: { version: true, document: true },
    }),
  ]);
  const policy = compileActivePolicy(active?.document ?? null);
  const effects = new Map(
    everyTool.map((t) => [t.id, toolEffect(policy, { name: t.name, category: effectiveRisk(t).category })]),
  );
  const effectOf = (id: string) => effects.get(id)!;
  const totals = effectTotals(
    everyTool.map((t) => ({ category: effectiveRisk(t).category, effect: effectOf(t.id).effect })),
  );
  const tools = (await listTools(db(), ctx, serverId, filter)).filter(
    (t) => !effectFilter || effectOf(t.id).effect === effectFilter,
  );
  const allTools = everyTool.length;
  const filtered = Boolean(filter.q || filter.category || filter.severity || filter.pin || effectFilter);
  const [changed = 0, pending = 0] = await Promise.all(
    (['changed', 'pending'] as const).map((pinState) =>
      db().tool.count({ where: { serverId, organizationId: ctx.organizationId, present: true, pinState } }),
    ),
  );
  const canEdit = roleAtLeast(ctx.role, 'editor');
  const base = `/o/${ctx.orgSlug}/servers/${server.id}`;
  return (
    <div className="space-y-5">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
        <Link href={`/o/${ctx.orgSlug}/servers`} className="hover:underline">
          Servers
        </Link>{' '}
        / <span className="text-slate-700">{server.name}</span>
      </nav>
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="h1 flex items-center gap-2">
            {server.name} <ServerStatusBadge status={server.status} />
          </h1>
          <p className="mt-1 font-mono text-xs text-slate-500">
            {server.transport === 'stdio'
              ? `${server.stdioTemplate ? `template ${server.stdioTemplate}` : (server.command ?? '')} ${server.args.join(' ')}`.trim()
              : server.url}
          </p>
          {server.secretHeaderNames.length + server.secretEnvNames.length > 0 ? (
            <p className="mt-1 text-xs text-slate-500">
              Secrets:{' '}
              {[...server.secretHeaderNames, ...server.secretEnvNames].map((name) => (
                <span key={name} className="code mr-1">
                  {name}: ••••••
                </span>
              ))}
            </p>
          ) : null}
          {server.statusMessage ? (
            <p role="alert" className="mt-1 text-sm text-red-700">
              {server.statusMessage}
            </p>
          ) : null}
          <p className="mt-1 text-xs text-slate-500">
            Last sync: <Time value={server.lastSyncAt} />
            {server.upstreamEra ? (
              <>
                {' · '}
                <span data-testid="upstream-era">
                  {server.upstreamEra === 'modern'
                    ? `MCP ${server.upstreamVersions.join(', ')} (stateless)`
                    : 'MCP 2025 era (initialize)'}
                </span>
              </>
            ) : null}
          </p>
        </div>
        <div className="flex flex-col items-end gap-2">
          <Link href={`${base}/policy`} className="btn">
            Edit policy
          </Link>
        </div>
      </header>
      <ServerSignIn ctx={ctx} serverId={server.id} />
      {canEdit ? <ServerActions orgSlug={ctx.orgSlug} serverId={server.id} /> : null}
      <AuditContentSection ctx={ctx} serverId={server.id} />
      {search.review === 'changed-again' ? (
        <p
          role="alert"
          className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          Not approved: the tool&apos;s definition changed again while you were reviewing it. Review the
          definition shown now.
        </p>
      ) : null}
      {changed > 0 ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {changed} tool{changed === 1 ? '' : 's'} changed upstream since approval and{' '}
          {changed === 1 ? 'is' : 'are'} blocked until reviewed.{' '}
          <Link href={`${base}?pin=changed`} className="underline">
            Review
          </Link>
        </p>
      ) : null}
      {pending > 0 ? (
        <p
          role="alert"
          className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {pending} new tool{pending === 1 ? '' : 's'} appeared since the catalog was first reviewed and{' '}
          {pending === 1 ? 'is' : 'are'} blocked until approved.{' '}
          <Link href={`${base}?pin=pending`} className="underline">
            Review
          </Link>
        </p>
      ) : null}
      <section aria-labelledby="catalog-heading" className="card">
        <div className="flex flex-wrap items-end justify-between gap-3 border-b border-slate-200 p-4">
          <h2 id="catalog-heading" className="h2">
            Catalog{' '}
            <span className="muted font-normal">
              ({filtered ? `${tools.length} of ${allTools}` : allTools} tools)
            </span>
          </h2>
          <form method="get" className="flex flex-wrap items-end gap-2" role="search">
            <div className="text-xs">
              <label htmlFor="catalog-q" className="block">
                Search tools
              </label>
              <input
                id="catalog-q"
                name="q"
                defaultValue={filter.q ?? ''}
                className="input mt-0.5 w-56"
                placeholder="name or description"
              />
            </div>
            <div className="text-xs">
              <label htmlFor="catalog-category" className="block">
                Category
              </label>
              <select
                id="catalog-category"
                name="category"
                defaultValue={filter.category ?? ''}
                className="input mt-0.5"
              >
                <option value="">All</option>
                <option value="read">Read</option>
                <option value="write">Write</option>
                <option value="destructive">Destructive</option>
              </select>
            </div>
            <div className="text-xs">
              <label htmlFor="catalog-severity" className="block">
                Severity
              </label>
              <select
                id="catalog-severity"
                name="severity"
                defaultValue={filter.severity ?? ''}
                className="input mt-0.5"
              >
                <option value="">All</option>
                <option value="low">Low</option>
                <option value="medium">Medium</option>
                <option value="high">High</option>
              </select>
            </div>
            <div className="text-xs">
              <label htmlFor="catalog-pin" className="block">
                Pin state
              </label>
              <select id="catalog-pin" name="pin" defaultValue={filter.pin ?? ''} className="input mt-0.5">
                <option value="">All</option>
                <option value="approved">Pinned</option>
                <option value="changed">Changed</option>
                <option value="pending">New</option>
                <option value="blocked">Blocked</option>
              </select>
            </div>
            <div className="text-xs">
              <label htmlFor="catalog-effect" className="block">
                Policy effect
              </label>
              <select
                id="catalog-effect"
                name="effect"
                defaultValue={effectFilter ?? ''}
                className="input mt-0.5"
              >
                <option value="">All</option>
                {POLICY_EFFECTS.map((e) => (
                  <option key={e} value={e}>
                    {EFFECT_LABEL[e]}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="btn">
              Filter
            </button>
          </form>
        </div>
        {allTools > 0 ? (
          <div className="border-b border-slate-200 px-4 py-3">
            <p className="text-xs text-slate-600">
              {active
                ? policy
                  ? `What policy version ${active.version} does with these tools (a call's arguments can still change it where a rule has conditions).`
                  : `Policy version ${active.version} is invalid: the gateway denies every call until a valid version is saved.`
                : 'No policy yet: the gateway denies every call to this server until one is saved.'}{' '}
              <Link href={`${base}/policy`} className="text-sky-800 underline">
                {active ? 'Edit policy' : 'Write a policy'}
              </Link>
            </p>
            <table className="mt-2 text-xs">
              <caption className="sr-only">Policy effect by category</caption>
              <thead>
                <tr>
                  <th scope="col" className="pr-4 text-left font-semibold text-slate-600">
                    Category
                  </th>
                  <th scope="col" className="text-left font-semibold text-slate-600">
                    Effect of the policy
                  </th>
                </tr>
              </thead>
              <tbody>
                {(['read', 'write', 'destructive'] as const).map((category) => {
                  const counts = POLICY_EFFECTS.filter((e) => totals[category][e] > 0).map(
                    (e) => `${totals[category][e]} ${EFFECT_LABEL[e].toLowerCase()}`,
                  );
                  return counts.length ? (
                    <tr key={category}>
                      <th scope="row" className="pr-4 text-left font-medium">
                        {CATEGORY_LABEL[category]}
                      </th>
                      <td>{counts.join(' · ')}</td>
                    </tr>
                  ) : null;
                })}
              </tbody>
            </table>
          </div>
        ) : null}
        <DataTable
          columns={['Tool', 'Risk', 'Policy effect', 'Why', 'Pin']}
          caption={`Tools of ${server.name}`}
          empty={
            allTools === 0
              ? 'No tools yet. Use “Sync tools” to fetch the server’s catalog.'
              : tools.length === 0 && 'No tools match these filters.'
          }
        >
          {tools.map((tool) => (
            <ToolRow
              key={tool.id}
              tool={tool}
              effect={effectOf(tool.id)}
              orgSlug={ctx.orgSlug}
              canEdit={canEdit}
              filterQuery={catalogFilterQuery({ ...filter, effect: effectFilter })}
            />
          ))}
        </DataTable>
      </section>
      {canEdit ? (
        <div className="pt-4">
          <ConfirmAction
            action={deleteServerAction}
            fields={{ orgSlug: ctx.orgSlug, serverId: server.id }}
            label="Delete server"
            title={`Delete server “${server.name}”?`}
            body="Its grants are revoked, so every agent using it is refused at once, and it leaves the server list. The audit log and admin trail keep its history."
            confirmLabel="Delete server"
          />
        </div>
      ) : null}
    </div>
  );
}
