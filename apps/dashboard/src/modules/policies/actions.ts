'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { ValidationError } from '../../server/errors';
import { replayPolicy, rollbackPolicy, savePolicy, type ReplayRow } from './policies';

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`Policy rejected: not valid JSON (${error instanceof Error ? error.message : 'parse error'}).`);
  }
}

export async function savePolicyAction(_prev: ActionResult<unknown>, form: FormData): Promise<ActionResult<unknown>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const serverId = String(form.get('serverId'));
  const result = await runAction(async () => {
    const saved = await savePolicy(db(), ctx, serverId, parseDocument(String(form.get('document') ?? '')), String(form.get('message') ?? ''));
    return { version: saved.version };
  });
  if (result?.ok) {
    revalidatePath(`/o/${ctx.orgSlug}/servers/${serverId}/policy`);
    return { ...result, message: `Saved as version ${(result.data as { version: number }).version}; gateways apply it on the next call.` };
  }
  return result;
}

export async function rollbackPolicyAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const serverId = String(form.get('serverId'));
  await rollbackPolicy(db(), ctx, serverId, String(form.get('versionId')));
  revalidatePath(`/o/${ctx.orgSlug}/servers/${serverId}/policy`);
}

export async function replayPolicyAction(
  _prev: ActionResult<{ replayed: number; changed: ReplayRow[] }>,
  form: FormData,
): Promise<ActionResult<{ replayed: number; changed: ReplayRow[] }>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'viewer');
  return runAction(() =>
    replayPolicy(db(), ctx, String(form.get('serverId')), parseDocument(String(form.get('document') ?? '')), Number(form.get('limit') ?? 200) || 200),
  );
}
