import { catalogRowSelect } from './simulate';
import Link from 'next/link';
import { Badge } from '../../components/badge';
import { DiffView } from '../../components/diff-view';
import { Time } from '../../components/time';
import { effectiveRisk } from '../catalog/tools';
import { prettyJson } from '../diff/line-diff';
import { getServer } from '../servers/servers';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { notFoundOnMissing } from '../../server/not-found';
import { roleAtLeast } from '../../server/roles';
import { rollbackPolicyAction } from './actions';
import { PolicyEditor } from './components/policy-editor';
import { listPolicyVersions, recommendedPolicyFor } from './policies';

export async function PolicyPage({ orgSlug, serverId }: { orgSlug: string; serverId: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const server = await notFoundOnMissing(getServer(db(), ctx, serverId));
  const [versions, recommended, tools] = await Promise.all([
    listPolicyVersions(db(), ctx, serverId),
    recommendedPolicyFor(db(), ctx, serverId),
    db().tool.findMany({
      where: { organizationId: ctx.organizationId, serverId, present: true },
      select: {
        ...catalogRowSelect,
        riskCategory: true,
        riskSeverity: true,
        riskOverrideCategory: true,
        riskOverrideSeverity: true,
      },
      orderBy: { name: 'asc' },
    }),
  ]);
  const active = versions.find((v) => v.active);
  const canEdit = roleAtLeast(ctx.role, 'editor');
  const initial = active ? active.document : { version: '1', default: 'deny', tools: {} };
  return (
    <div className="space-y-5">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
        <Link href={`/o/${ctx.orgSlug}/servers`} className="hover:underline">
          Servers
        </Link>{' '}
        /{' '}
        <Link href={`/o/${ctx.orgSlug}/servers/${server.id}`} className="hover:underline">
          {server.name}
        </Link>{' '}
        / <span className="text-slate-700">Policy</span>
      </nav>
      <header>
        <h1 className="h1">Policy for {server.name}</h1>
        <p className="muted">
          {active ? (
            <>
              Active: version {active.version}, saved by {active.authorLabel ?? 'unknown'} at{' '}
              <Time value={active.createdAt} />.
            </>
          ) : (
            'No policy saved yet: the gateway denies every call to this server until one is.'
          )}
        </p>
      </header>
      <PolicyEditor
        orgSlug={ctx.orgSlug}
        serverId={server.id}
        initialText={`${prettyJson(initial)}\n`}
        recommended={recommended}
        tools={tools.map((t) => ({
          name: t.name,
          present: t.present,
          pinState: t.pinState,
          approvedHash: t.approvedHash,
          category: effectiveRisk(t).category,
        }))}
        canEdit={canEdit}
      />
      <section aria-labelledby="history-heading" className="card">
        <h2 id="history-heading" className="h2 border-b border-slate-200 p-4">
          History
        </h2>
        {versions.length === 0 ? (
          <p className="p-4 text-sm text-slate-500">No versions yet.</p>
        ) : (
          <ol>
            {versions.map((v, i) => {
              const previous = versions[i + 1];
              return (
                <li key={v.id} className="border-b border-slate-100 px-4 py-3">
                  <div className="flex flex-wrap items-center gap-3 text-sm">
                    <span className="font-semibold">Version {v.version}</span>
                    {v.active ? <Badge tone="green">Active</Badge> : null}
                    <span className="text-slate-600">{v.authorLabel ?? 'unknown'}</span>
                    <Time value={v.createdAt} />
                    {v.message ? <span className="text-slate-500">— {v.message}</span> : null}
                    {canEdit && !v.active ? (
                      <form action={rollbackPolicyAction} className="ml-auto">
                        <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
                        <input type="hidden" name="serverId" value={server.id} />
                        <input type="hidden" name="versionId" value={v.id} />
                        <button type="submit" className="btn btn-sm">
                          Roll back to version {v.version}
                        </button>
                      </form>
                    ) : null}
                  </div>
                  <details className="mt-1">
                    <summary className="cursor-pointer text-xs text-sky-700">
                      {previous ? `Diff from version ${previous.version}` : 'Document'}
                    </summary>
                    <div className="mt-2">
                      <DiffView
                        label={`Changes in version ${v.version}`}
                        before={previous ? prettyJson(previous.document) : ''}
                        after={prettyJson(v.document)}
                      />
                    </div>
                  </details>
                </li>
              );
            })}
          </ol>
        )}
      </section>
    </div>
  );
}
