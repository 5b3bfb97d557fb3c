'use server';

import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { createServer, deleteServer, syncServer, testConnection } from './servers';

function rows(form: FormData, kind: 'header' | 'env'): Array<{ name: string; value: string }> {
  const names = form.getAll(`${kind}Name`).map(String);
  const values = form.getAll(`${kind}Value`).map(String);
  return names.map((name, i) => ({ name: name.trim(), value: values[i] ?? '' })).filter((r) => r.name !== '');
}

export async function registerServerAction(_prev: ActionResult<unknown>, form: FormData): Promise<ActionResult<unknown>> {
  const orgSlug = String(form.get('orgSlug'));
  const ctx = await requireMembership(orgSlug, 'editor');
  const transport = String(form.get('transport') ?? 'streamable_http') as 'streamable_http' | 'sse' | 'stdio';
  const result = await runAction(() =>
    createServer(db(), ctx, {
      name: String(form.get('name') ?? ''),
      transport,
      url: String(form.get('url') ?? ''),
      stdioTemplate: String(form.get('stdioTemplate') ?? ''),
      command: String(form.get('command') ?? ''),
      args: String(form.get('args') ?? '')
        .split('\n')
        .map((a) => a.trim())
        .filter(Boolean),
      headers: rows(form, 'header'),
      env: rows(form, 'env'),
    }),
  );
  if (result?.ok) {
    const serverId = (result.data as { id: string }).id;
    // Sync at once, so the catalog is there when the page opens. A failure is not the registration's:
    // the server is saved, and its page shows the sync error (markSyncFailed) with "Sync tools" to retry.
    await runAction(() => syncServer(db(), ctx, serverId)).catch(() => undefined);
    redirect(`/o/${ctx.orgSlug}/servers/${serverId}`);
  }
  return result;
}

export async function testConnectionAction(_prev: ActionResult<unknown>, form: FormData): Promise<ActionResult<unknown>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const result = await runAction(() => testConnection(db(), ctx, String(form.get('serverId'))));
  revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
  if (!result?.ok) return result;
  return result.data.ok ? { ...result, message: result.data.message } : { ok: false, error: result.data.message };
}

export async function syncToolsAction(_prev: ActionResult<unknown>, form: FormData): Promise<ActionResult<unknown>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const result = await runAction(() => syncServer(db(), ctx, String(form.get('serverId'))));
  revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
  return result?.ok ? { ...result, message: result.data.message } : result;
}

export async function deleteServerAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const result = await runAction(async () => {
    await deleteServer(db(), ctx, String(form.get('serverId')));
    return undefined;
  });
  if (result?.ok) redirect(`/o/${ctx.orgSlug}/servers`);
  return result;
}
