import { Badge } from '../../components/badge';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { RowAction } from '../../components/row-action';
import { Time } from '../../components/time';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../notifications/webhook-signature';
import { deleteExportAction, updateExportAction } from './actions';
import { CreateExportForm } from './components/create-export-form';
import { RetentionForm } from './components/retention-form';
import { listExports } from './exports';
import { getRetention } from './retention';

const KIND_LABEL = { https: 'JSON lines (HTTPS)', otlp_logs: 'OTLP logs' } as const;

export async function AuditSettingsPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const isAdmin = roleAtLeast(ctx.role, 'admin');
  const [retention, exports] = await Promise.all([getRetention(db(), ctx), listExports(db(), ctx)]);
  const now = Date.now();
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Audit retention &amp; export</h1>
        <p className="muted">
          How long this organization&apos;s audit events are kept, and where else they go. Calls waiting for
          an approval are never deleted early.
        </p>
      </header>
      <section aria-labelledby="retention-heading" className="card space-y-3 p-5">
        <h2 id="retention-heading" className="h2">
          Retention
        </h2>
        <p className="text-sm" data-testid="retention-effective">
          {retention.effectiveDays
            ? `Events older than ${retention.effectiveDays} days are deleted.`
            : 'Events are kept forever.'}
        </p>
        {isAdmin ? (
          <RetentionForm
            orgSlug={ctx.orgSlug}
            organizationDays={retention.organizationDays}
            operatorDays={retention.operatorDays}
          />
        ) : null}
      </section>
      {isAdmin ? (
        <section aria-labelledby="new-export" className="card space-y-2 p-5">
          <h2 id="new-export" className="h2">
            Add a continuous export
          </h2>
          <p className="muted text-sm">
            Every event recorded from now on is sent in batches, at least once: each carries its{' '}
            <code className="code">id</code>, so the receiver can drop repeats. A failed batch is retried with
            growing waits (1 s, 2 s, 4 s … up to 5 minutes) until it is taken. JSON lines are signed:{' '}
            <code className="code">
              {SIGNATURE_HEADER}: v1=HMAC-SHA256(secret, &quot;&lt;{TIMESTAMP_HEADER}&gt;.&lt;body&gt;&quot;)
            </code>
            . For earlier events, download them from the audit log.
          </p>
          <CreateExportForm orgSlug={ctx.orgSlug} />
        </section>
      ) : null}
      <ListSection id="exports-heading" title="Exports">
        <DataTable
          columns={['Name', 'Format', 'Sends to', 'Sent', 'Status', 'Last error', ACTIONS_COLUMN]}
          empty={exports.length === 0 && 'No exports: audit events stay in Portcullis.'}
        >
          {exports.map((e) => (
            <tr key={e.id}>
              <td>{e.name}</td>
              <td>{KIND_LABEL[e.kind]}</td>
              <td className="max-w-72 truncate font-mono text-xs" title={e.url}>
                {e.url}
              </td>
              <td className="text-xs">
                {e.exportedCount.toLocaleString('en')} events
                {e.lastDeliveredAt ? (
                  <>
                    , last <Time value={e.lastDeliveredAt} />
                  </>
                ) : null}
              </td>
              <td>
                {!e.enabled ? (
                  <Badge>off</Badge>
                ) : e.attempts > 0 && e.nextAttemptAt.getTime() > now ? (
                  <Badge tone="amber" title={`Retry ${e.attempts} failed`}>
                    retrying
                  </Badge>
                ) : (
                  <Badge tone="green">on</Badge>
                )}
              </td>
              <td className="max-w-64 truncate text-xs" title={e.lastError ?? undefined}>
                {e.lastError ?? '—'}
              </td>
              <td className="text-right">
                {isAdmin ? (
                  <div className="flex justify-end gap-2">
                    <form action={updateExportAction}>
                      <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
                      <input type="hidden" name="exportId" value={e.id} />
                      <input type="hidden" name="enabled" value={String(!e.enabled)} />
                      <button
                        type="submit"
                        className="btn btn-sm"
                        aria-label={`${e.enabled ? 'Pause' : 'Resume'} export ${e.name}`}
                      >
                        {e.enabled ? 'Pause' : 'Resume'}
                      </button>
                    </form>
                    <RowAction
                      action={deleteExportAction}
                      fields={{ orgSlug: ctx.orgSlug, exportId: e.id }}
                      label="Delete"
                      ariaLabel={`Delete export ${e.name}`}
                    />
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      </ListSection>
    </div>
  );
}
