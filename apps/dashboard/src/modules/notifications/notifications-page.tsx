import { Badge } from '../../components/badge';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { RowAction } from '../../components/row-action';
import { Time } from '../../components/time';
import { env } from '../../env';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import { deleteChannelAction, updateChannelAction } from './actions';
import { listChannels, listDeliveries } from './channels';
import { CreateChannelForm } from './components/create-channel-form';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';

const KIND_LABEL = { webhook: 'Webhook', slack: 'Slack', email: 'E-mail' } as const;
const STATUS_TONE = { pending: 'amber', delivered: 'green', failed: 'red' } as const;

export async function NotificationsPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const isAdmin = roleAtLeast(ctx.role, 'admin');
  const [channels, deliveries] = await Promise.all([listChannels(db(), ctx), listDeliveries(db(), ctx)]);
  const now = Date.now();
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Notifications</h1>
        <p className="muted">
          Where approvers hear of calls waiting for them. Each message links to the approval; only channels
          marked trusted receive the call&apos;s argument values. Webhooks are signed:{' '}
          <code className="code">
            {SIGNATURE_HEADER}: v1=HMAC-SHA256(secret, &quot;&lt;{TIMESTAMP_HEADER}&gt;.&lt;body&gt;&quot;)
          </code>
          . Failed deliveries are retried with growing waits (1 s, 2 s, 4 s …, six attempts).
        </p>
      </header>
      {isAdmin ? (
        <section aria-labelledby="new-channel" className="card p-5">
          <h2 id="new-channel" className="h2 mb-3">
            Add a channel
          </h2>
          <CreateChannelForm orgSlug={ctx.orgSlug} emailAvailable={Boolean(env().SMTP_URL)} />
        </section>
      ) : null}
      <ListSection id="channels-heading" title="Channels">
        <DataTable
          columns={['Name', 'Kind', 'Sends to', 'Arguments', 'Status', ACTIONS_COLUMN]}
          empty={
            channels.length === 0 && 'No channels yet: approvers see pending calls only in the dashboard.'
          }
        >
          {channels.map((c) => (
            <tr key={c.id}>
              <td>{c.name}</td>
              <td>{KIND_LABEL[c.kind]}</td>
              <td className="max-w-72 truncate font-mono text-xs" title={c.target}>
                {c.target}
              </td>
              <td>
                {c.trusted ? <Badge tone="amber">full values (trusted)</Badge> : <Badge>names only</Badge>}
              </td>
              <td>
                {!c.enabled ? (
                  <Badge>off</Badge>
                ) : c.pausedUntil && c.pausedUntil.getTime() > now ? (
                  <Badge tone="amber" title="After a failed delivery">
                    backing off
                  </Badge>
                ) : (
                  <Badge tone="green">on</Badge>
                )}
              </td>
              <td className="text-right">
                {isAdmin ? (
                  <div className="flex justify-end gap-2">
                    <form action={updateChannelAction}>
                      <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
                      <input type="hidden" name="channelId" value={c.id} />
                      <input type="hidden" name="field" value="trusted" />
                      <input type="hidden" name="value" value={String(!c.trusted)} />
                      <button
                        type="submit"
                        className="btn btn-sm"
                        aria-label={`${c.trusted ? 'Send only argument names to' : 'Trust'} ${c.name}`}
                      >
                        {c.trusted ? 'Names only' : 'Trust'}
                      </button>
                    </form>
                    <form action={updateChannelAction}>
                      <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
                      <input type="hidden" name="channelId" value={c.id} />
                      <input type="hidden" name="field" value="enabled" />
                      <input type="hidden" name="value" value={String(!c.enabled)} />
                      <button
                        type="submit"
                        className="btn btn-sm"
                        aria-label={`${c.enabled ? 'Turn off' : 'Turn on'} ${c.name}`}
                      >
                        {c.enabled ? 'Turn off' : 'Turn on'}
                      </button>
                    </form>
                    <RowAction
                      action={deleteChannelAction}
                      fields={{ orgSlug: ctx.orgSlug, channelId: c.id }}
                      label="Delete"
                      ariaLabel={`Delete channel ${c.name}`}
                    />
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      </ListSection>
      <ListSection id="deliveries-heading" title="Delivery log">
        <DataTable
          columns={['Queued', 'Channel', 'Approval', 'Status', 'Attempts', 'Last error']}
          empty={deliveries.length === 0 && 'Nothing sent yet.'}
        >
          {deliveries.map((d) => (
            <tr key={d.id} aria-label={`Delivery to ${d.channel.name}`}>
              <td className="text-xs">
                <Time value={d.createdAt} />
              </td>
              <td>{d.channel.name}</td>
              <td className="font-mono text-xs">
                {d.approvalId ? (
                  <a
                    className="text-sky-700 hover:underline"
                    href={`/o/${ctx.orgSlug}/approvals#approval-${d.approvalId}`}
                  >
                    {d.approvalId.slice(0, 10)}…
                  </a>
                ) : (
                  '—'
                )}
              </td>
              <td>
                <Badge tone={STATUS_TONE[d.status]}>
                  {d.status === 'pending' && d.attempts > 0 ? 'retrying' : d.status}
                </Badge>
              </td>
              <td className="text-xs tabular-nums">
                <details>
                  <summary>{d.attempts}</summary>
                  <ul className="mt-1 space-y-0.5">
                    {d.attemptLog.map((a) => (
                      <li key={a.at.toISOString()}>
                        {a.at.toISOString().slice(11, 19)} {a.ok ? 'ok' : 'failed'}
                        {a.statusCode ? ` HTTP ${a.statusCode}` : ''} ({a.durationMs} ms)
                        {a.error ? `: ${a.error}` : ''}
                      </li>
                    ))}
                  </ul>
                </details>
              </td>
              <td className="max-w-72 text-xs break-words">{d.lastError ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      </ListSection>
    </div>
  );
}
