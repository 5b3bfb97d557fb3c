import Link from 'next/link';
import { DataTable } from '../../components/data-table';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { listAdminEvents, namesForEvents } from './trail';
import { describeDetails, describeTarget, mentionedIds } from './trail-format';

export async function TrailPage({ orgSlug, cursor }: { orgSlug: string; cursor?: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const page = await listAdminEvents(db(), ctx, { cursor }).catch(() => listAdminEvents(db(), ctx));
  const names = await namesForEvents(db(), ctx, mentionedIds(page.rows));
  const base = `/o/${ctx.orgSlug}/trail`;
  return (
    <div className="space-y-5">
      <header>
        <h1 className="h1">Admin trail</h1>
        <p className="muted">Who changed servers, policies, grants, approvals, members and keys.</p>
      </header>
      <section className="card" aria-label="Admin events">
        <DataTable
          columns={['Time', 'Who', 'Action', 'Target', 'Details']}
          empty={page.rows.length === 0 && 'No changes recorded yet.'}
        >
          {page.rows.map((e) => (
            <tr key={e.id}>
              <td className="text-xs">
                <Time value={e.createdAt} />
              </td>
              <td className="text-xs">{e.actorLabel}</td>
              <td className="font-mono text-xs">{e.action}</td>
              <td className="text-xs">{describeTarget(e, names)}</td>
              <td className="max-w-md text-xs text-slate-700">
                <dl className="grid grid-cols-[auto_1fr] gap-x-2">
                  {describeDetails(e.details, names).map((d) => (
                    <div key={d.label} className="contents">
                      <dt className="text-slate-500">{d.label}</dt>
                      <dd className="break-words">{d.value}</dd>
                    </div>
                  ))}
                </dl>
              </td>
            </tr>
          ))}
        </DataTable>
        <nav aria-label="Pagination" className="flex justify-between p-3">
          {cursor ? (
            <Link className="btn btn-sm" href={base}>
              First page
            </Link>
          ) : (
            <span />
          )}
          {page.nextCursor ? (
            <Link className="btn btn-sm" href={`${base}?cursor=${page.nextCursor}`}>
              Next page
            </Link>
          ) : null}
        </nav>
      </section>
    </div>
  );
}
