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
import { simulateToolsetCall, type ToolsetCallSimulation } from './simulate-toolset';
import { tracedAction } from '../../server/spans';

// The editor sends the toolset as JSON (members, subsets and overrides nest too deep for form fields),
// which the module parses with the same schema as the REST API.
const saveForm = z.object({ toolset: text(1_000_000) });
const toolsetForm = z.object({ toolsetId: idField });
// Generous bounds: the module names the real limits (128-character name, 64 KB of arguments).
const simulateForm = z.object({ toolsetId: idField, name: text(1_000), arguments: text(1_000_000) });

/** The JSON as sent; the module validates it (so the cast below claims nothing). */
function parseToolset(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    throw new ValidationError('Toolset not saved: the form sent no valid toolset; reload the page.', '');
  }
}

export const createToolsetAction = tracedAction(
  'toolsets.createToolset',
  async function createToolsetAction(
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
  },
);

export const updateToolsetAction = tracedAction(
  'toolsets.updateToolset',
  async function updateToolsetAction(
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
  },
);

export const deleteToolsetAction = tracedAction(
  'toolsets.deleteToolset',
  async function deleteToolsetAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
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
  },
);

/** "Try a call": viewers may (it only reads), nothing is forwarded and no counter is consumed. */
export const simulateToolsetCallAction = tracedAction(
  'toolsets.simulateToolsetCall',
  async function simulateToolsetCallAction(
    _prev: ActionResult<ToolsetCallSimulation>,
    form: FormData,
  ): Promise<ActionResult<ToolsetCallSimulation>> {
    const ctx = await requireMembership(formOrgSlug(form), 'viewer');
    return runAction(async () => {
      const input = parseForm(simulateForm, form);
      return simulateToolsetCall(db(), ctx, input.toolsetId, input.name, parseArguments(input.arguments));
    });
  },
);

/** The arguments as typed ('' is none); the module checks that they are an object and small enough. */
function parseArguments(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    throw new ValidationError(
      'arguments: not valid JSON; write an object such as {"tweet_id": "1"}.',
      '/arguments',
    );
  }
}
