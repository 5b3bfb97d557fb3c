'use server';

import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { db } from '../../server/db';
import { formOrgSlug, idField, parseForm } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { disconnect, startConnect } from './connections';
import { tracedAction } from '../../server/spans';

const serverForm = z.object({ serverId: idField });
const connectionForm = z.object({ connectionId: idField });

/** "Connect" / "Reconnect": sends the browser to the upstream's sign-in page. */
export const connectAction = tracedAction(
  'upstream-oauth.connect',
  async function connectAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'viewer');
    const url = await startConnect(db(), ctx, parseForm(serverForm, form).serverId);
    redirect(url);
  },
);

export const disconnectAction = tracedAction(
  'upstream-oauth.disconnect',
  async function disconnectAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'viewer');
    await disconnect(db(), ctx, parseForm(connectionForm, form).connectionId);
    revalidatePath(`/o/${ctx.orgSlug}/connections`);
  },
);
