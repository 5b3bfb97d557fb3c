'use server';

import { revalidatePath } from 'next/cache';
import type { RiskCategory, RiskSeverity } from '@portcullis/db/types';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { approveToolChange, keepToolBlocked, overrideToolRisk } from './tools';

const CATEGORIES = ['read', 'write', 'destructive'];
const SEVERITIES = ['low', 'medium', 'high'];

export async function decideToolChangeAction(form: FormData): Promise<void> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const toolId = String(form.get('toolId'));
  if (form.get('decision') === 'approve') await approveToolChange(db(), ctx, toolId);
  else await keepToolBlocked(db(), ctx, toolId);
  revalidatePath(`/o/${ctx.orgSlug}/servers`, 'layout');
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
