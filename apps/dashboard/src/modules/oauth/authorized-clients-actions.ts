'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { revokeAuthorizedClient } from './authorized-clients';

export async function revokeAuthorizedClientAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const result = await runAction(async () => {
    await revokeAuthorizedClient(db(), ctx, String(form.get('grantId')), String(form.get('clientId')));
    return undefined;
  });
  revalidatePath(`/o/${ctx.orgSlug}/grants`);
  return result;
}
