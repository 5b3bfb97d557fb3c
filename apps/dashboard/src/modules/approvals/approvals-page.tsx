import { Badge } from '../../components/badge';
import { DataTable, ListSection } from '../../components/data-table';
import { Time, formatDuration } from '../../components/time';
import { prettyJson } from '../diff/line-diff';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { approvalOutcome } from '../audit/call-outcome';
import { listApprovalHistory, listPendingApprovals } from './approvals';
import { AutoRefresh } from './components/auto-refresh';
import { DecideForm } from './components/decide-form';

export async function ApprovalsPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const [pending, history] = await Promise.all([
    listPendingApprovals(db(), ctx),
    listApprovalHistory(db(), ctx),
  ]);
  const canDecide = roleAtLeast(ctx.role, 'editor');
  const now = Date.now();
  return (
    <div className="space-y-6">
      <AutoRefresh ms={2000} />
      <header>
        <h1 className="h1">Approvals</h1>
        <p className="muted">Calls waiting for a person. This page refreshes every 2 seconds.</p>
      </header>
      <section aria-labelledby="pending-heading" className="card">
        <h2 id="pending-heading" className="h2 border-b border-slate-200 p-4">
          Pending <span className="muted font-normal">({pending.length})</span>
        </h2>
        {pending.length === 0 ? (
          <p className="p-4 text-sm text-slate-500">Nothing is waiting for approval.</p>
        ) : (
          <ul aria-label="Pending approvals">
            {pending.map((a) => (
              <li
                key={a.id}
                id={`approval-${a.id}`}
                className="grid gap-4 border-b border-slate-100 p-4 md:grid-cols-[1fr_18rem]"
                aria-label={`Approval for ${a.toolName}`}
              >
                <div className="min-w-0 space-y-1">
                  <p className="font-mono text-sm font-semibold">{a.toolName}</p>
                  <p className="text-xs text-slate-600">
                    Grant {a.grant.name} ({a.grant.tokenPrefix}…) on {a.server.name} · waiting{' '}
                    {formatDuration(now - a.createdAt.getTime())} · expires in{' '}
                    {formatDuration(a.expiresAt.getTime() - now)}
                    {a.ruleId ? ` · rule ${a.ruleId}` : ''}
                  </p>
                  {canDecide ? (
                    <pre
                      aria-label={`Arguments of ${a.toolName}`}
                      className="max-h-48 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs"
                    >
                      {prettyJson(a.arguments ?? {})}
                    </pre>
                  ) : (
                    <p className="muted text-xs">Arguments are shown to editors and above, who decide.</p>
                  )}
                </div>
                {canDecide ? (
                  <DecideForm orgSlug={ctx.orgSlug} approvalId={a.id} toolName={a.toolName} />
                ) : (
                  <p className="muted">Editors decide.</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <ListSection id="history-heading" title="History">
        <DataTable
          columns={['Requested', 'Tool', 'Grant', 'Outcome', 'By', 'Note']}
          empty={history.length === 0 && 'No decided approvals yet.'}
        >
          {history.map((a) => {
            const outcome = approvalOutcome(a, now);
            return (
              <tr key={a.id}>
                <td>
                  <Time value={a.createdAt} />
                </td>
                <td className="font-mono text-xs">{a.toolName}</td>
                <td>{a.grant.name}</td>
                <td>
                  <Badge tone={outcome.tone} title={outcome.detail ?? undefined}>
                    {outcome.words}
                  </Badge>
                  {outcome.detail ? (
                    <span className="mt-0.5 block text-[11px] break-words text-slate-600">
                      {outcome.detail}
                    </span>
                  ) : null}
                </td>
                <td className="text-xs">{a.decidedByLabel ?? '—'}</td>
                <td className="text-xs">{a.note ?? ''}</td>
              </tr>
            );
          })}
        </DataTable>
      </ListSection>
    </div>
  );
}
