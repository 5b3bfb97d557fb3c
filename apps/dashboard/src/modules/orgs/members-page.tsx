import { Time } from '../../components/time';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../../components/data-table';
import { ConfirmAction } from '../../components/confirm-action';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { roleAtLeast } from '../../server/roles';
import {
  changeRoleAction,
  leaveOrganizationAction,
  removeMemberAction,
  revokeInvitationAction,
} from './actions';
import { InviteForm } from './components/invite-form';
import { listInvitations, listMembers } from './members';

export async function MembersPage({ orgSlug }: { orgSlug: string }) {
  const ctx = await requireMembership(orgSlug, 'viewer');
  const isAdmin = roleAtLeast(ctx.role, 'admin');
  const [members, invitations] = await Promise.all([
    listMembers(db(), ctx),
    isAdmin ? listInvitations(db(), ctx) : Promise.resolve([]),
  ]);
  return (
    <div className="space-y-6">
      <header>
        <h1 className="h1">Members of {ctx.orgName}</h1>
        <p className="muted">
          Viewers read; editors change servers, policies, grants and approvals; admins manage members and
          keys; owners everything.
        </p>
      </header>
      <ListSection id="members-heading" title="Members">
        <DataTable columns={['Name', 'Email', 'Role', 'Since', ACTIONS_COLUMN]}>
          {members.map((m) => {
            const self = m.user.id === ctx.actor.id;
            const manageable = isAdmin && !self && (m.role !== 'owner' || ctx.role === 'owner');
            return (
              <tr key={m.id}>
                <td>{m.user.name ?? '—'}</td>
                <td>{m.user.email}</td>
                <td>
                  {manageable ? (
                    <form action={changeRoleAction} className="flex items-center gap-2">
                      <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
                      <input type="hidden" name="membershipId" value={m.id} />
                      <select
                        name="role"
                        defaultValue={m.role}
                        className="input w-32"
                        aria-label={`Role of ${m.user.email}`}
                      >
                        {ctx.role === 'owner' ? <option value="owner">owner</option> : null}
                        <option value="admin">admin</option>
                        <option value="editor">editor</option>
                        <option value="viewer">viewer</option>
                      </select>
                      <button type="submit" className="btn btn-sm">
                        Change role
                      </button>
                    </form>
                  ) : (
                    m.role
                  )}
                </td>
                <td>
                  <Time value={m.createdAt} />
                </td>
                <td className="text-right">
                  {manageable ? (
                    <ConfirmAction
                      action={removeMemberAction}
                      fields={{ orgSlug: ctx.orgSlug, membershipId: m.id }}
                      label="Remove"
                      ariaLabel={`Remove ${m.user.email}`}
                      title={`Remove ${m.user.email} from ${ctx.orgName}?`}
                      body="They lose access to this organization at once; their grants and API keys keep working until revoked."
                      confirmLabel="Remove member"
                    />
                  ) : null}
                  {self ? (
                    <ConfirmAction
                      action={leaveOrganizationAction}
                      fields={{ orgSlug: ctx.orgSlug }}
                      label="Leave organization"
                      title={`Leave ${ctx.orgName}?`}
                      body="You lose access at once; an admin must invite you again to come back."
                      confirmLabel="Leave organization"
                    />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </DataTable>
      </ListSection>
      {isAdmin ? (
        <section aria-labelledby="invite-heading" className="card space-y-4 p-5">
          <h2 id="invite-heading" className="h2">
            Invite by link
          </h2>
          <InviteForm orgSlug={ctx.orgSlug} canMakeOwner={ctx.role === 'owner'} />
          {invitations.length ? (
            <ul className="space-y-1 text-sm">
              {invitations.map((inv) => (
                <li key={inv.id} className="flex items-center gap-3">
                  <span>
                    {inv.email ?? 'Anyone with the link'} as {inv.role}, expires{' '}
                    <Time value={inv.expiresAt} />
                  </span>
                  <form action={revokeInvitationAction}>
                    <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
                    <input type="hidden" name="invitationId" value={inv.id} />
                    <button type="submit" className="btn btn-sm">
                      Revoke invitation
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
