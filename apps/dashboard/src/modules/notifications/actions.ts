'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { createChannel, deleteChannel, updateChannel } from './channels';

type Created = { name: string; secret: string | null };

export async function createChannelAction(_prev: ActionResult<Created>, form: FormData): Promise<ActionResult<Created>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  const result = await runAction(async () => {
    const channel = await createChannel(db(), ctx, {
      name: String(form.get('name') ?? ''),
      kind: String(form.get('kind') ?? '') as 'webhook',
      target: String(form.get('target') ?? ''),
      trusted: form.get('trusted') === 'on',
    });
    return { name: channel.name, secret: channel.secret };
  }, 'Channel added.');
  revalidatePath(`/o/${ctx.orgSlug}/settings/notifications`);
  return result;
}

export async function updateChannelAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  const field = String(form.get('field'));
  const value = form.get('value') === 'true';
  await updateChannel(db(), ctx, String(form.get('channelId')), field === 'trusted' ? { trusted: value } : { enabled: value });
  revalidatePath(`/o/${ctx.orgSlug}/settings/notifications`);
}

export async function deleteChannelAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  await deleteChannel(db(), ctx, String(form.get('channelId')));
  revalidatePath(`/o/${ctx.orgSlug}/settings/notifications`);
}
