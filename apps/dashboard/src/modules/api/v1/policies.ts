import { z } from 'zod';
import { getActivePolicy, listPolicyVersions, savePolicy } from '../../policies/policies';
import { db } from '../../../server/db';
import { apiRoute, readJson } from '../handler';

export const getPolicyRoute = apiRoute<{ serverId: string }>('viewer', async ({ ctx, params }) => ({ policy: await getActivePolicy(db(), ctx, params.serverId) }));

const putBody = z.object({ document: z.unknown(), message: z.string().max(500).optional() }).strict();

export const putPolicyRoute = apiRoute<{ serverId: string }>('editor', async ({ ctx, params, request }) => {
  const body = await readJson(request, putBody);
  return Response.json({ policy: await savePolicy(db(), ctx, params.serverId, body.document, body.message) }, { status: 201 });
});

export const listPolicyVersionsRoute = apiRoute<{ serverId: string }>('viewer', async ({ ctx, params }) => ({
  versions: await listPolicyVersions(db(), ctx, params.serverId, 200),
}));
