'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { createApiKey, revokeApiKey } from './api-keys';
import { tracedAction } from '../../server/spans';

const createForm = z.object({ name: text(200), role: text(20) });
const revokeForm = z.object({ keyId: idField });

export const createApiKeyAction = tracedAction(
  'api-keys.createApiKey',
  async function createApiKeyAction(
    _prev: ActionResult<{ token: string; name: string }>,
    form: FormData,
  ): Promise<ActionResult<{ token: string; name: string }>> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    const result = await runAction(async () => {
      const input = parseForm(createForm, form);
      // createApiKey validates the role (its own schema names the allowed ones).
      const key = await createApiKey(db(), ctx, {
        name: input.name,
        role: (input.role || 'editor') as 'editor',
      });
      return { token: key.token, name: key.name };
    });
    revalidatePath(`/o/${ctx.orgSlug}/settings/api-keys`);
    return result;
  },
);

export const revokeApiKeyAction = tracedAction(
  'api-keys.revokeApiKey',
  async function revokeApiKeyAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'admin');
    await revokeApiKey(db(), ctx, parseForm(revokeForm, form).keyId);
    revalidatePath(`/o/${ctx.orgSlug}/settings/api-keys`);
  },
);
