'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { revokeAuthorizedClient } from './authorized-clients';
import { tracedAction } from '../../server/spans';

const revokeForm = z.object({ grantId: idField, clientId: idField });

export const revokeAuthorizedClientAction = tracedAction(
  'oauth.revokeAuthorizedClient',
  async function revokeAuthorizedClientAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(async () => {
      const input = parseForm(revokeForm, form);
      await revokeAuthorizedClient(db(), ctx, input.grantId, input.clientId);
      return undefined;
    });
    revalidatePath(`/o/${ctx.orgSlug}/grants`);
    return result;
  },
);
