'use server';

import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership, requireUser } from '../../server/guard';
import { env } from '../../env';
import {
  acceptInvitation,
  changeMemberRole,
  createInvitation,
  leaveOrganization,
  removeMember,
  revokeInvitation,
} from './members';
import { createOrganization } from './organizations';
import { tracedAction } from '../../server/spans';

const inviteForm = z.object({ email: text(320), role: text(20) });
const invitationForm = z.object({ invitationId: idField });
const roleForm = z.object({ membershipId: idField, role: text(20) });
const memberForm = z.object({ membershipId: idField });
const organizationForm = z.object({ name: text(200) });
const acceptForm = z.object({ token: text(200) });

export const inviteAction = tracedAction(
  'orgs.invite',
  async function inviteAction(
    _prev: ActionResult<{ link: string }>,
    form: FormData,
  ): Promise<ActionResult<{ link: string }>> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const result = await runAction(async () => {
      const input = parseForm(inviteForm, form);
      const invitation = await createInvitation(db(), ctx, {
        email: input.email,
        role: input.role || 'viewer',
      });
      const origin = env().AUTH_URL ?? '';
      return { link: `${origin}/invite/${invitation.token}` };
    });
    revalidatePath(`/o/${ctx.orgSlug}/members`);
    return result
      ? result.ok
        ? {
            ...result,
            message: env().SMTP_URL
              ? 'Invitation created.'
              : 'Invitation created; send this link yourself (no SMTP configured).',
          }
        : result
      : result;
  },
);

export const revokeInvitationAction = tracedAction(
  'orgs.revokeInvitation',
  async function revokeInvitationAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    await revokeInvitation(db(), ctx, parseForm(invitationForm, form).invitationId);
    revalidatePath(`/o/${ctx.orgSlug}/members`);
  },
);

export const changeRoleAction = tracedAction(
  'orgs.changeRole',
  async function changeRoleAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const input = parseForm(roleForm, form);
    await changeMemberRole(db(), ctx, input.membershipId, input.role);
    revalidatePath(`/o/${ctx.orgSlug}/members`);
  },
);

export const removeMemberAction = tracedAction(
  'orgs.removeMember',
  async function removeMemberAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const result = await runAction(async () => {
      await removeMember(db(), ctx, parseForm(memberForm, form).membershipId);
      return undefined;
    });
    revalidatePath(`/o/${ctx.orgSlug}/members`);
    return result;
  },
);

/** A refusal (the last owner) comes back as the form's error, not as a 500 error page. */
export const leaveOrganizationAction = tracedAction(
  'orgs.leaveOrganization',
  async function leaveOrganizationAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const ctx = await requireMembership(formOrgSlug(form), 'viewer');
    const result = await runAction(async () => {
      await leaveOrganization(db(), ctx);
      return undefined;
    });
    if (result?.ok) redirect('/');
    return result;
  },
);

export const createOrganizationAction = tracedAction(
  'orgs.createOrganization',
  async function createOrganizationAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const user = await requireUser();
    let slug = '';
    const result = await runAction(async () => {
      slug = (await createOrganization(db(), user, parseForm(organizationForm, form).name)).slug;
      return undefined;
    });
    if (result?.ok) redirect(`/o/${slug}/servers`);
    return result;
  },
);

export const acceptInvitationAction = tracedAction(
  'orgs.acceptInvitation',
  async function acceptInvitationAction(form: FormData): Promise<void> {
    const user = await requireUser();
    const { orgSlug } = await acceptInvitation(db(), user, parseForm(acceptForm, form).token);
    redirect(`/o/${orgSlug}/servers`);
  },
);
