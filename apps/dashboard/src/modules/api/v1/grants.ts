import { createGrant, grantInput, listGrants, revokeGrant } from '../../grants/grants';
import { db } from '../../../server/db';
import { apiRoute, readJson } from '../handler';

export const listGrantsRoute = apiRoute('viewer', async ({ ctx }) => ({ grants: await listGrants(db(), ctx) }));

export const createGrantRoute = apiRoute('editor', async ({ ctx, request }) => {
  const input = await readJson(request, grantInput);
  const created = await createGrant(db(), ctx, input);
  return Response.json(
    { grant: created.grant, token: created.token, proxyUrl: created.proxyUrl, embeddedUrl: created.embeddedUrl },
    { status: 201 },
  );
});

export const revokeGrantRoute = apiRoute<{ grantId: string }>('editor', async ({ ctx, params }) => ({ grant: await revokeGrant(db(), ctx, params.grantId) }));
