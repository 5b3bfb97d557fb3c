'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { createChannel, deleteChannel, updateChannel } from './channels';
import { tracedAction } from '../../server/spans';

type Created = { name: string; secret: string | null };

// The kind and target are checked by createChannel's own schema (with sentences naming the fix).
const createForm = z.object({
  name: text(100),
  kind: text(20),
  target: text(2000),
  trusted: z.literal('on').optional(),
});
const updateForm = z.object({
  channelId: idField,
  field: z.enum(['trusted', 'enabled']),
  value: z.enum(['true', 'false']),
});
const deleteForm = z.object({ channelId: idField });

export const createChannelAction = tracedAction(
  'notifications.createChannel',
  async function createChannelAction(
    _prev: ActionResult<Created>,
    form: FormData,
  ): Promise<ActionResult<Created>> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const result = await runAction(async () => {
      const input = parseForm(createForm, form);
      const channel = await createChannel(db(), ctx, {
        name: input.name,
        kind: input.kind as 'webhook',
        target: input.target,
        trusted: input.trusted === 'on',
      });
      return { name: channel.name, secret: channel.secret };
    }, 'Channel added.');
    revalidatePath(`/o/${ctx.orgSlug}/settings/notifications`);
    return result;
  },
);

export const updateChannelAction = tracedAction(
  'notifications.updateChannel',
  async function updateChannelAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const input = parseForm(updateForm, form);
    const value = input.value === 'true';
    await updateChannel(
      db(),
      ctx,
      input.channelId,
      input.field === 'trusted' ? { trusted: value } : { enabled: value },
    );
    revalidatePath(`/o/${ctx.orgSlug}/settings/notifications`);
  },
);

export const deleteChannelAction = tracedAction(
  'notifications.deleteChannel',
  async function deleteChannelAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    await deleteChannel(db(), ctx, parseForm(deleteForm, form).channelId);
    revalidatePath(`/o/${ctx.orgSlug}/settings/notifications`);
  },
);
