'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { requireMembership } from '../../server/guard';
import { decideApproval } from './approvals';

export async function decideApprovalAction(_prev: ActionResult<unknown>, form: FormData): Promise<ActionResult<unknown>> {
  const ctx = await requireMembership(String(form.get('orgSlug')), 'editor');
  const decision = form.get('decision') === 'approve' ? 'approve' : 'deny';
  const result = await runAction(
    () => decideApproval(db(), ctx, String(form.get('approvalId')), decision, String(form.get('note') ?? '')),
    decision === 'approve' ? 'Approved; the call continues.' : 'Denied; the agent is told.',
  );
  revalidatePath(`/o/${ctx.orgSlug}/approvals`);
  return result;
}
