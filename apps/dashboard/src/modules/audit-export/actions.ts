'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { ValidationError } from '../../server/errors';
import { createExport, deleteExport, setExportEnabled } from './exports';
import { setRetention } from './retention';
import { tracedAction } from '../../server/spans';

type Created = { name: string; secret: string | null };

const createForm = z.object({ name: text(100), kind: text(20), url: text(2000) });
const updateForm = z.object({ exportId: idField, enabled: z.enum(['true', 'false']) });
const deleteForm = z.object({ exportId: idField });
const retentionForm = z.object({ days: text(10) });

function page(orgSlug: string): string {
  return `/o/${orgSlug}/settings/audit`;
}

export const createExportAction = tracedAction(
  'audit-export.createExport',
  async function createExportAction(
    _prev: ActionResult<Created>,
    form: FormData,
  ): Promise<ActionResult<Created>> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const result = await runAction(async () => {
      const input = parseForm(createForm, form);
      const created = await createExport(db(), ctx, {
        name: input.name,
        kind: input.kind as 'https',
        url: input.url,
      });
      return { name: created.name, secret: created.secret };
    }, 'Export added: events recorded from now on are sent.');
    revalidatePath(page(ctx.orgSlug));
    return result;
  },
);

export const updateExportAction = tracedAction(
  'audit-export.updateExport',
  async function updateExportAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const input = parseForm(updateForm, form);
    await setExportEnabled(db(), ctx, input.exportId, input.enabled === 'true');
    revalidatePath(page(ctx.orgSlug));
  },
);

export const deleteExportAction = tracedAction(
  'audit-export.deleteExport',
  async function deleteExportAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    await deleteExport(db(), ctx, parseForm(deleteForm, form).exportId);
    revalidatePath(page(ctx.orgSlug));
  },
);

export const setRetentionAction = tracedAction(
  'audit-export.setRetention',
  async function setRetentionAction(
    _prev: ActionResult<unknown>,
    form: FormData,
  ): Promise<ActionResult<unknown>> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const result = await runAction(async () => {
      const raw = parseForm(retentionForm, form).days.trim();
      if (raw !== '' && !/^\d+$/.test(raw))
        throw new ValidationError(
          'Enter a whole number of days, or leave it empty for the default.',
          '/days',
        );
      return setRetention(db(), ctx, raw === '' ? null : Number(raw));
    }, 'Retention saved.');
    revalidatePath(page(ctx.orgSlug));
    return result;
  },
);
