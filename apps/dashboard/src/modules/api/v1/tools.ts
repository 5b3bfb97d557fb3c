import { z } from 'zod';
import {
  approveToolChange,
  keepToolBlocked,
  setToolOverrides,
  toolOverrideInput,
  toolSelect,
} from '../../catalog/tools';
import { db } from '../../../server/db';
import { defineRoute } from '../handler';

// Approving names the definition reviewed (its hash, from GET …/tools): a definition that changed
// since is refused with 409, so automation cannot approve what nobody looked at.
const reviewBody = z.discriminatedUnion('decision', [
  z
    .object({
      decision: z.literal('approve'),
      definitionHash: z
        .string()
        .regex(/^[0-9a-f]{64}$/, 'must be the 64-character definitionHash the review was based on'),
    })
    .strict(),
  z.object({ decision: z.literal('block') }).strict(),
]);

export const reviewToolRoute = defineRoute(
  {
    method: 'post',
    path: '/tools/{toolId}/review',
    summary:
      'Approve a changed or new tool definition (bound to the definitionHash reviewed; 409 if it changed since), or keep it blocked',
    role: 'editor',
    body: reviewBody,
    success: { status: 200, description: 'Tool' },
  },
  async ({ ctx, params, body }) => {
    if (body.decision === 'approve') await approveToolChange(db(), ctx, params.toolId, body.definitionHash);
    else await keepToolBlocked(db(), ctx, params.toolId);
    return {
      tool: await db().tool.findFirstOrThrow({
        where: { id: params.toolId, organizationId: ctx.organizationId },
        select: toolSelect,
      }),
    };
  },
);

export const updateToolRoute = defineRoute(
  {
    method: 'patch',
    path: '/tools/{toolId}',
    summary:
      'Set what agents see of a tool instead of the upstream’s name, title and description (null or "" clears one; an absent field stays); pinning still compares the upstream’s definition',
    role: 'editor',
    body: toolOverrideInput,
    success: { status: 200, description: 'Tool' },
  },
  async ({ ctx, params, body }) => ({ tool: await setToolOverrides(db(), ctx, params.toolId, body) }),
);
