'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { runAction, type ActionResult } from '../../server/action-result';
import { ConflictError } from '../../server/errors';
import { catalogFilterQuery } from './catalog-filter';
import { approveToolChange, keepToolBlocked, overrideToolRisk, setToolOverrides } from './tools';
import { tracedAction } from '../../server/spans';

const decideForm = z.object({
  toolId: idField,
  decision: z.enum(['approve', 'block']).default('block'),
  definitionHash: text(64),
  serverId: idField,
  /** The catalog's filter query to come back to. */
  filter: text(2_000),
});
// An unknown category or severity (or reset=1) clears the override, as the form's Reset does.
const overrideForm = z.object({
  toolId: idField,
  category: z.enum(['read', 'write', 'destructive']).optional().catch(undefined),
  severity: z.enum(['low', 'medium', 'high']).optional().catch(undefined),
  reset: text(1),
});

// What agents see instead of the upstream's name, title and description; clear=1 removes all three.
const toolOverrideForm = z.object({
  toolId: idField,
  overrideName: text(200),
  overrideTitle: text(300),
  overrideDescription: text(5_000),
  clear: text(1),
});

export const saveToolOverrideAction = tracedAction(
  'catalog.saveToolOverride',
  async function saveToolOverrideAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(async () => {
      const input = parseForm(toolOverrideForm, form);
      const clear = input.clear === '1';
      await setToolOverrides(db(), ctx, input.toolId, {
        overrideName: clear ? null : input.overrideName,
        overrideTitle: clear ? null : input.overrideTitle,
        overrideDescription: clear ? null : input.overrideDescription,
      });
      return undefined;
    }, 'Saved.');
    revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
    return result;
  },
);

export const decideToolChangeAction = tracedAction(
  'catalog.decideToolChange',
  async function decideToolChangeAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const input = parseForm(decideForm, form);
    let changedAgain = false;
    try {
      if (input.decision === 'approve')
        await approveToolChange(db(), ctx, input.toolId, input.definitionHash);
      else await keepToolBlocked(db(), ctx, input.toolId);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      changedAgain = true;
    }
    revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
    // A fixed code, not the message: the page maps it to its own sentence.
    if (changedAgain) {
      // Back to the same filtered list (only the catalog's own filter keys are carried over).
      const query = new URLSearchParams(catalogFilterQuery(new URLSearchParams(input.filter)));
      query.set('review', 'changed-again');
      redirect(`/o/${ctx.orgSlug}/servers/${encodeURIComponent(input.serverId)}?${query.toString()}`);
    }
  },
);

export const overrideRiskAction = tracedAction(
  'catalog.overrideRisk',
  async function overrideRiskAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const input = parseForm(overrideForm, form);
    const override =
      input.reset === '1' || !input.category || !input.severity
        ? null
        : { category: input.category, severity: input.severity };
    await overrideToolRisk(db(), ctx, input.toolId, override);
    revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
  },
);
