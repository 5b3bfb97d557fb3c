'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { createGrant, revokeGrant } from './grants';

export interface CreatedGrantView {
  grantId: string;
  name: string;
  serverName: string;
  token: string;
  proxyUrl: string;
  embeddedUrl: string;
}

export async function createGrantAction(_prev: ActionResult<CreatedGrantView>, form: FormData): Promise<ActionResult<CreatedGrantView>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const expires = String(form.get('expiresAt') ?? '').trim();
  const result = await runAction(async () => {
    const created = await createGrant(db(), ctx, {
      name: String(form.get('name') ?? ''),
      serverId: String(form.get('serverId') ?? ''),
      expiresAt: expires ? new Date(expires) : null,
    });
    return { grantId: created.grant.id, name: created.grant.name, serverName: created.grant.server.name, token: created.token, proxyUrl: created.proxyUrl, embeddedUrl: created.embeddedUrl };
  });
  revalidatePath(`/o/${ctx.orgSlug}/grants`);
  return result;
}

export async function revokeGrantAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const result = await runAction(async () => {
    await revokeGrant(db(), ctx, String(form.get('grantId')));
    return undefined;
  });
  revalidatePath(`/o/${ctx.orgSlug}/grants`);
  return result;
}
