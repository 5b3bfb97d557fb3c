import { createGrant, grantInput, listGrants, revokeGrant } from '../../grants/grants';
import { db } from '../../../server/db';
import { defineRoute } from '../handler';

export const listGrantsRoute = defineRoute(
  {
    method: 'get',
    path: '/grants',
    summary: 'List grants (each with its serverId or toolsetId)',
    role: 'viewer',
    success: { status: 200, description: 'Grants' },
  },
  async ({ ctx }) => ({ grants: await listGrants(db(), ctx) }),
);

export const createGrantRoute = defineRoute(
  {
    method: 'post',
    path: '/grants',
    summary:
      'Create a grant for a server (serverId) or a toolset (toolsetId), exactly one; the token and proxy URL are returned once',
    role: 'editor',
    body: grantInput,
    success: { status: 201, description: 'Grant with token, proxyUrl, embeddedUrl' },
  },
  async ({ ctx, body }) => {
    const created = await createGrant(db(), ctx, body);
    return {
      grant: created.grant,
      token: created.token,
      proxyUrl: created.proxyUrl,
      embeddedUrl: created.embeddedUrl,
    };
  },
);

export const revokeGrantRoute = defineRoute(
  {
    method: 'post',
    path: '/grants/{grantId}/revoke',
    summary: 'Revoke a grant',
    role: 'editor',
    success: { status: 200, description: 'Revoked grant' },
  },
  async ({ ctx, params }) => ({ grant: await revokeGrant(db(), ctx, params.grantId) }),
);
