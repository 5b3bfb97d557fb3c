import Link from 'next/link';
import { DataTable } from '../../components/data-table';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { listAdminEvents } from './trail';

export async function TrailPage({ orgSlug, cursor }: { orgSlug: string; cursor?: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const page = await listAdminEvents(db(), ctx, { cursor }).catch(() => listAdminEvents(db(), ctx));
  const base = `/o/${ctx.orgSlug}/trail`;
  return (
    <div className="space-y-5">
      <header>
        <h1 className="h1">Admin trail</h1>
        <p className="muted">Who changed servers, policies, grants, approvals, members and keys.</p>
      </header>
      <section className="card" aria-label="Admin events">
        <DataTable columns={['Time', 'Who', 'Action', 'Target', 'Details']} empty={page.rows.length === 0 && 'No changes recorded yet.'}>
          {page.rows.map((e) => (
            <tr key={e.id}>
              <td className="text-xs">
                <Time value={e.createdAt} />
              </td>
              <td className="text-xs">{e.actorLabel}</td>
              <td className="font-mono text-xs">{e.action}</td>
              <td className="font-mono text-xs">
                {e.targetType}
                {e.targetId ? ` ${e.targetId}` : ''}
              </td>
              <td className="max-w-md font-mono text-xs break-all text-slate-600">{e.details ? JSON.stringify(e.details) : ''}</td>
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
