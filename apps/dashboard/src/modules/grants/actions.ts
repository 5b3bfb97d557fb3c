'use server';

import { revalidatePath } from 'next/cache';
import { runAction, type ActionResult } from '../../server/action-result';
import { db } from '../../server/db';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, text } from '../../server/form';
import { requireMembership } from '../../server/guard';
import { createGrant, grantTarget, revokeGrant } from './grants';
import { tracedAction } from '../../server/spans';

export interface CreatedGrantView {
  grantId: string;
  name: string;
  /** What the grant reaches, and its name (a server's or a toolset's). */
  targetKind: 'server' | 'toolset';
  targetName: string;
  token: string;
  proxyUrl: string;
  embeddedUrl: string;
}

// One of serverId and toolsetId is set (the form's target picker fills the one chosen).
const createForm = z.object({ name: text(200), serverId: idField, toolsetId: idField, expiresAt: text(40) });
const revokeForm = z.object({ grantId: idField });

export const createGrantAction = tracedAction(
  'grants.createGrant',
  async function createGrantAction(
    _prev: ActionResult<CreatedGrantView>,
    form: FormData,
  ): Promise<ActionResult<CreatedGrantView>> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(async () => {
      const input = parseForm(createForm, form);
      const expires = input.expiresAt.trim();
      const created = await createGrant(db(), ctx, {
        name: input.name,
        ...(input.serverId ? { serverId: input.serverId } : {}),
        ...(input.toolsetId ? { toolsetId: input.toolsetId } : {}),
        expiresAt: expires ? new Date(expires) : null,
      });
      const target = grantTarget(created.grant);
      return {
        grantId: created.grant.id,
        name: created.grant.name,
        targetKind: target.kind,
        targetName: target.name,
        token: created.token,
        proxyUrl: created.proxyUrl,
        embeddedUrl: created.embeddedUrl,
      };
    });
    revalidatePath(`/o/${ctx.orgSlug}/grants`);
    return result;
  },
);

export const revokeGrantAction = tracedAction(
  'grants.revokeGrant',
  async function revokeGrantAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const ctx = await requireMembership(formOrgSlug(form), 'editor');
    const result = await runAction(async () => {
      await revokeGrant(db(), ctx, parseForm(revokeForm, form).grantId);
      return undefined;
    });
    revalidatePath(`/o/${ctx.orgSlug}/grants`);
    return result;
  },
);
