'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { db } from '../../server/db';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { setServerAuditContent, setToolAuditContent } from './audit-content';
import { tracedAction } from '../../server/spans';

const serverForm = z.object({ serverId: idField, mode: z.enum(['redacted', 'full']) });
const toolForm = z.object({
  serverId: idField,
  toolName: text(200),
  mode: z.enum(['redacted', 'full', 'inherit']),
});

export const setServerAuditContentAction = tracedAction(
  'servers.setServerAuditContent',
  async function setServerAuditContentAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const input = parseForm(serverForm, form);
    await setServerAuditContent(db(), ctx, input.serverId, input.mode);
    revalidatePath(`/o/${ctx.orgSlug}/servers/${input.serverId}`);
  },
);

export const setToolAuditContentAction = tracedAction(
  'servers.setToolAuditContent',
  async function setToolAuditContentAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const input = parseForm(toolForm, form);
    await setToolAuditContent(db(), ctx, input.serverId, input.toolName, input.mode);
    revalidatePath(`/o/${ctx.orgSlug}/servers/${input.serverId}`);
  },
);
