'use server';

import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { createServer, deleteServer, syncServer, testConnection } from './servers';
import { discoverSignIn } from '../upstream-oauth/discovery';
import { configureServerSignIn, registerUpstreamClient } from '../upstream-oauth/sign-in-config';
import { tracedAction } from '../../server/spans';

const registerForm = z.object({
  name: text(200),
  transport: z.enum(['streamable_http', 'sse', 'stdio']).default('streamable_http'),
  url: text(2_000),
  stdioTemplate: text(100),
  command: text(500),
  /** One argument per line. */
  args: text(20_000),
  headerName: z.array(z.string().max(200)).max(50).default([]),
  headerValue: z.array(z.string().max(8_192)).max(50).default([]),
  envName: z.array(z.string().max(200)).max(50).default([]),
  envValue: z.array(z.string().max(8_192)).max(50).default([]),
  connectionMode: z.enum(['shared', 'per_user']).default('per_user'),
  oauthClientId: text(500),
  oauthClientSecret: text(2_000),
});
const serverForm = z.object({ serverId: idField });

/** Name/value input pairs (rows with no name are the form's empty rows). */
function rows(names: string[], values: string[]): Array<{ name: string; value: string }> {
  return names.map((name, i) => ({ name: name.trim(), value: values[i] ?? '' })).filter((r) => r.name !== '');
}

export const registerServerAction = tracedAction(
  'servers.registerServer',
  async function registerServerAction(
    _prev: ActionResult<unknown>,
    form: FormData,
  ): Promise<ActionResult<unknown>> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    let signIn = false;
    const result = await runAction(async () => {
      const input = parseForm(registerForm, form);
      // A server that asks for OAuth: discovery and client registration before anything is saved.
      const discovery = input.transport === 'stdio' ? null : await discoverSignIn(input.url);
      const client = discovery
        ? await registerUpstreamClient(discovery, {
            connectionMode: input.connectionMode,
            clientId: input.oauthClientId || undefined,
            clientSecret: input.oauthClientSecret || undefined,
          })
        : null;
      const server = await createServer(db(), ctx, {
        name: input.name,
        transport: input.transport,
        url: input.url,
        stdioTemplate: input.stdioTemplate,
        command: input.command,
        args: input.args
          .split('\n')
          .map((a) => a.trim())
          .filter(Boolean),
        headers: rows(input.headerName, input.headerValue),
        env: rows(input.envName, input.envValue),
      });
      if (discovery && client) {
        await configureServerSignIn(db(), ctx, server.id, discovery, client, input.connectionMode);
        signIn = true;
      }
      return server;
    });
    if (result?.ok) {
      const serverId = (result.data as { id: string }).id;
      // Sync at once, so the catalog is there when the page opens. A failure is not the registration's:
      // the server is saved, and its page shows the sync error (markSyncFailed) with "Sync tools" to retry.
      // A server behind sign-in syncs once an account is connected (there is no token yet).
      if (!signIn) await runAction(() => syncServer(db(), ctx, serverId)).catch(() => undefined);
      redirect(`/o/${ctx.orgSlug}/servers/${serverId}`);
    }
    return result;
  },
);

export const testConnectionAction = tracedAction(
  'servers.testConnection',
  async function testConnectionAction(
    _prev: ActionResult<unknown>,
    form: FormData,
  ): Promise<ActionResult<unknown>> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(() => testConnection(db(), ctx, parseForm(serverForm, form).serverId));
    revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
    if (!result?.ok) return result;
    return result.data.ok
      ? { ...result, message: result.data.message }
      : { ok: false, error: result.data.message };
  },
);

export const syncToolsAction = tracedAction(
  'servers.syncTools',
  async function syncToolsAction(
    _prev: ActionResult<unknown>,
    form: FormData,
  ): Promise<ActionResult<unknown>> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(() => syncServer(db(), ctx, parseForm(serverForm, form).serverId));
    revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
    return result?.ok ? { ...result, message: result.data.message } : result;
  },
);

export const deleteServerAction = tracedAction(
  'servers.deleteServer',
  async function deleteServerAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(async () => {
      await deleteServer(db(), ctx, parseForm(serverForm, form).serverId);
      return undefined;
    });
    if (result?.ok) redirect(`/o/${ctx.orgSlug}/servers`);
    return result;
  },
);
