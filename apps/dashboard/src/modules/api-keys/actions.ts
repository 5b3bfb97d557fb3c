'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { createApiKey, revokeApiKey } from './api-keys';

export async function createApiKeyAction(_prev: ActionResult<{ token: string; name: string }>, form: FormData): Promise<ActionResult<{ token: string; name: string }>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  const result = await runAction(async () => {
    const key = await createApiKey(db(), ctx, { name: String(form.get('name') ?? ''), role: String(form.get('role') ?? 'editor') as 'editor' });
    return { token: key.token, name: key.name };
  });
  revalidatePath(`/o/${ctx.orgSlug}/settings/api-keys`);
  return result;
}

export async function revokeApiKeyAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'admin');
  await revokeApiKey(db(), ctx, String(form.get('keyId')));
  revalidatePath(`/o/${ctx.orgSlug}/settings/api-keys`);
}
