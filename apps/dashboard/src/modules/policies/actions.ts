'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { ValidationError } from '../../server/errors';
import { replayPolicy, rollbackPolicy, savePolicy, type ReplayRow } from './policies';
import { tracedAction } from '../../server/spans';

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      `Policy rejected: not valid JSON (${error instanceof Error ? error.message : 'parse error'}).`,
    );
  }
}

const saveForm = z.object({ serverId: idField, document: text(1_000_000), message: text(500) });
const rollbackForm = z.object({ serverId: idField, versionId: idField });
const replayForm = z.object({
  serverId: idField,
  document: text(1_000_000),
  limit: z.coerce.number().int().min(1).max(1_000).catch(200),
});

export const savePolicyAction = tracedAction(
  'policies.savePolicy',
  async function savePolicyAction(
    _prev: ActionResult<unknown>,
    form: FormData,
  ): Promise<ActionResult<unknown>> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const { serverId } = parseForm(z.object({ serverId: idField }), form);
    const result = await runAction(async () => {
      const input = parseForm(saveForm, form);
      const saved = await savePolicy(db(), ctx, serverId, parseDocument(input.document), input.message);
      return { version: saved.version };
    });
    if (result?.ok) {
      revalidatePath(`/o/${ctx.orgSlug}/servers/${serverId}/policy`);
      return {
        ...result,
        message: `Saved as version ${(result.data as { version: number }).version}; gateways apply it on the next call.`,
      };
    }
    return result;
  },
);

export const rollbackPolicyAction = tracedAction(
  'policies.rollbackPolicy',
  async function rollbackPolicyAction(form: FormData): Promise<void> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const { serverId, versionId } = parseForm(rollbackForm, form);
    await rollbackPolicy(db(), ctx, serverId, versionId);
    revalidatePath(`/o/${ctx.orgSlug}/servers/${serverId}/policy`);
  },
);

export const replayPolicyAction = tracedAction(
  'policies.replayPolicy',
  async function replayPolicyAction(
    _prev: ActionResult<{ replayed: number; changed: ReplayRow[]; uncheckable: number }>,
    form: FormData,
  ): Promise<ActionResult<{ replayed: number; changed: ReplayRow[]; uncheckable: number }>> {
    const ctx = await requireMembership(formOrgSlug(form), 'viewer');
    return runAction(() => {
      const input = parseForm(replayForm, form);
      return replayPolicy(db(), ctx, input.serverId, parseDocument(input.document), input.limit);
    });
  },
);
