'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import type { RiskCategory, RiskSeverity } from '@portcullis/db/types';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { ConflictError } from '../../server/errors';
import { catalogFilterQuery } from './catalog-filter';
import { approveToolChange, keepToolBlocked, overrideToolRisk } from './tools';

const CATEGORIES = ['read', 'write', 'destructive'];
const SEVERITIES = ['low', 'medium', 'high'];

export async function decideToolChangeAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const toolId = String(form.get('toolId'));
  let changedAgain = false;
  try {
    if (form.get('decision') === 'approve') await approveToolChange(db(), ctx, toolId, String(form.get('definitionHash') ?? ''));
    else await keepToolBlocked(db(), ctx, toolId);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    changedAgain = true;
  }
  revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
  // A fixed code, not the message: the page maps it to its own sentence.
  if (changedAgain) {
    // Back to the same filtered list (only the catalog's own filter keys are carried over).
    const query = new URLSearchParams(catalogFilterQuery(new URLSearchParams(String(form.get('filter') ?? ''))));
    query.set('review', 'changed-again');
    redirect(`/o/${ctx.orgSlug}/servers/${encodeURIComponent(String(form.get('serverId') ?? ''))}?${query.toString()}`);
  }
}

export async function overrideRiskAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const category = String(form.get('category'));
  const severity = String(form.get('severity'));
  const override =
    form.get('reset') === '1' || !CATEGORIES.includes(category) || !SEVERITIES.includes(severity)
      ? null
      : { category: category as RiskCategory, severity: severity as RiskSeverity };
  await overrideToolRisk(db(), ctx, String(form.get('toolId')), override);
  revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
}
