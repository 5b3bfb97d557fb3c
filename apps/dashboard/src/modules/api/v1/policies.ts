import { z } from 'zod';
import { getActivePolicy, listPolicyVersions, savePolicy } from '../../policies/policies';
import { db } from '../../../server/db';
import { defineRoute } from '../handler';

export const getPolicyRoute = defineRoute(
  {
    method: 'get',
    path: '/servers/{serverId}/policy',
    summary: 'Active policy version',
    role: 'viewer',
    success: { status: 200, description: 'Policy (null when none)' },
  },
  async ({ ctx, params }) => ({ policy: await getActivePolicy(db(), ctx, params.serverId) }),
);

// The document is validated by packages/policy (errors carry the JSON pointer into it); the
// OpenAPI document describes it with the policy language's own JSON Schema.
const putBody = z
  .object({ document: z.unknown().meta({ id: 'PolicyDocument' }), message: z.string().max(500).optional() })
  .strict();

export const putPolicyRoute = defineRoute(
  {
    method: 'put',
    path: '/servers/{serverId}/policy',
    summary: 'Save a new policy version',
    role: 'editor',
    body: putBody,
    success: { status: 201, description: 'New active version' },
  },
  async ({ ctx, params, body }) => ({
    policy: await savePolicy(db(), ctx, params.serverId, body.document, body.message),
  }),
);

export const listPolicyVersionsRoute = defineRoute(
  {
    method: 'get',
    path: '/servers/{serverId}/policy/versions',
    summary: 'Policy history',
    role: 'viewer',
    success: { status: 200, description: 'Versions' },
  },
  async ({ ctx, params }) => ({ versions: await listPolicyVersions(db(), ctx, params.serverId, 200) }),
);
