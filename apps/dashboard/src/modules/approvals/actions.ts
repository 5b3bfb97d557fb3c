'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, safeParseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { decideApproval } from './approvals';
import { tracedAction } from '../../server/spans';

const decideForm = z.object({
  approvalId: idField,
  decision: z.enum(['approve', 'deny']).catch('deny'),
  note: text(1_000),
});

export const decideApprovalAction = tracedAction(
  'approvals.decideApproval',
  async function decideApprovalAction(
    _prev: ActionResult<unknown>,
    form: FormData,
  ): Promise<ActionResult<unknown>> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const decision = safeParseForm(decideForm, form)?.decision ?? 'deny';
    const result = await runAction(
      async () => {
        const input = parseForm(decideForm, form);
        return decideApproval(db(), ctx, input.approvalId, input.decision, input.note);
      },
      decision === 'approve'
        ? 'Approved: the held call continues, or the agent’s next identical call runs (once, within 15 minutes).'
        : 'Denied: the agent is told, with your note.',
    );
    revalidatePath(`/o/${ctx.orgSlug}/approvals`);
    return result;
  },
);
