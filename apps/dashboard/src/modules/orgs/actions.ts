'use server';

import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership, requireUser } from '../../server/guard';
import { env } from '../../env';
import { acceptInvitation, changeMemberRole, createInvitation, leaveOrganization, removeMember, revokeInvitation } from './members';
import { createOrganization } from './organizations';

export async function inviteAction(_prev: ActionResult<{ link: string }>, form: FormData): Promise<ActionResult<{ link: string }>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  const result = await runAction(async () => {
    const invitation = await createInvitation(db(), ctx, { email: String(form.get('email') ?? ''), role: String(form.get('role') ?? 'viewer') });
    const origin = env().AUTH_URL ?? '';
    return { link: `${origin}/invite/${invitation.token}` };
  });
  revalidatePath(`/o/${ctx.orgSlug}/members`);
  return result ? (result.ok ? { ...result, message: env().SMTP_URL ? 'Invitation created.' : 'Invitation created; send this link yourself (no SMTP configured).' } : result) : result;
}

export async function revokeInvitationAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  await revokeInvitation(db(), ctx, String(form.get('invitationId')));
  revalidatePath(`/o/${ctx.orgSlug}/members`);
}

export async function changeRoleAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  await changeMemberRole(db(), ctx, String(form.get('membershipId')), String(form.get('role')));
  revalidatePath(`/o/${ctx.orgSlug}/members`);
}

export async function removeMemberAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  const result = await runAction(async () => {
    await removeMember(db(), ctx, String(form.get('membershipId')));
    return undefined;
  });
  revalidatePath(`/o/${ctx.orgSlug}/members`);
  return result;
}

/** A refusal (the last owner) comes back as the form's error, not as a 500 error page. */
export async function leaveOrganizationAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'viewer');
  const result = await runAction(async () => {
    await leaveOrganization(db(), ctx);
    return undefined;
  });
  if (result?.ok) redirect('/');
  return result;
}

export async function createOrganizationAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const user = await requireUser();
  let slug = '';
  const result = await runAction(async () => {
    slug = (await createOrganization(db(), user, String(form.get('name') ?? ''))).slug;
    return undefined;
  });
  if (result?.ok) redirect(`/o/${slug}/servers`);
  return result;
}

export async function acceptInvitationAction(form: FormData): Promise<void> {
  const user = await requireUser();
  const { orgSlug } = await acceptInvitation(db(), user, String(form.get('token')));
  redirect(`/o/${orgSlug}/servers`);
}
