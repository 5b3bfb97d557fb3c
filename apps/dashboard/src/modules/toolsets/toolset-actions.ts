'use server';

import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { ValidationError } from '../../server/errors';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import {
  createToolset,
  deleteToolset,
  updateToolset,
  type ToolsetInput,
  type ToolsetPatch,
} from './toolsets';

// The editor sends the toolset as JSON (members, subsets and overrides nest too deep for form fields),
// which the module parses with the same schema as the REST API.
const saveForm = z.object({ toolset: text(1_000_000) });
const toolsetForm = z.object({ toolsetId: idField });

/** The JSON as sent; the module validates it (so the cast below claims nothing). */
function parseToolset(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    throw new ValidationError('Toolset not saved: the form sent no valid toolset; reload the page.', '');
  }
}

export async function createToolsetAction(
  _prev: ActionResult<unknown>,
  form: FormData,
): Promise<ActionResult<unknown>> {
  const ctx = await requireMembership(formOrgSlug(form), 'editor');
  const result = await runAction(async () => {
    const toolset = await createToolset(
      db(),
      ctx,
      parseToolset(parseForm(saveForm, form).toolset) as ToolsetInput,
    );
    return { id: toolset.id };
  });
  if (result?.ok) {
    revalidatePath(`/o/${ctx.orgSlug}/toolsets`, 'layout');
    redirect(`/o/${ctx.orgSlug}/toolsets/${result.data.id}`);
  }
  return result;
}

export async function updateToolsetAction(
  _prev: ActionResult<unknown>,
  form: FormData,
): Promise<ActionResult<unknown>> {
  const ctx = await requireMembership(formOrgSlug(form), 'editor');
  const result = await runAction(async () => {
    const { toolsetId } = parseForm(toolsetForm, form);
    await updateToolset(
      db(),
      ctx,
      toolsetId,
      parseToolset(parseForm(saveForm, form).toolset) as ToolsetPatch,
    );
    return undefined;
  }, 'Saved; gateways apply it on the next request.');
  revalidatePath(`/o/${ctx.orgSlug}/toolsets`, 'layout');
  return result;
}

export async function deleteToolsetAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const ctx = await requireMembership(formOrgSlug(form), 'editor');
  const result = await runAction(async () => {
    await deleteToolset(db(), ctx, parseForm(toolsetForm, form).toolsetId);
    return undefined;
  });
  if (result?.ok) {
    revalidatePath(`/o/${ctx.orgSlug}/toolsets`, 'layout');
    redirect(`/o/${ctx.orgSlug}/toolsets`);
  }
  return result;
}
