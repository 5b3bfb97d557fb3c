// Consent: the signed-in user binds an OAuth client to a grant of the server or toolset the client
// asked for (its `resource`), either a new grant or an existing active one. Editors and above only,
// in its organization; a server or toolset the user cannot see is "not found".
import type { Db } from '@portcullis/db/client';
import { createGrant, grantStatus } from '../grants/grants';
import { resolveMembership } from '../orgs/membership';
import { recordAdminEvent } from '../trail/record';
import { roleAtLeast } from '../../server/roles';
import { NotFoundError, ValidationError } from '../../server/errors';
import { issueAuthorizationCode, type AuthorizationRequest } from './authorization-server';
import { pruneOAuthRows } from './oauth-prune';

export interface ConsentView {
  organization: { name: string; slug: string };
  /** What the resource names: a server, or a toolset (one URL over several servers). */
  target: { kind: 'server' | 'toolset'; id: string; name: string };
  grants: { id: string; name: string; tokenPrefix: string }[];
  canAuthorize: boolean;
}

export async function loadConsent(
  db: Db,
  userId: string,
  request: AuthorizationRequest,
): Promise<ConsentView> {
  const visible = {
    id: request.targetId,
    deletedAt: null,
    organization: { memberships: { some: { userId } } },
  };
  const select = { id: true, name: true, organization: { select: { name: true, slug: true } } } as const;
  // Ids are unique across servers and toolsets, so at most one of these is found.
  const [server, toolset] = await Promise.all([
    db.mcpServer.findFirst({ where: visible, select }),
    db.toolset.findFirst({ where: visible, select }),
  ]);
  const found = server
    ? { kind: 'server' as const, ...server }
    : toolset
      ? { kind: 'toolset' as const, ...toolset }
      : null;
  if (!found) throw new NotFoundError('Server not found');
  const ctx = await resolveMembership(db, userId, found.organization.slug, 'viewer');
  const grants = await db.grant.findMany({
    where: {
      ...(found.kind === 'server' ? { serverId: found.id } : { toolsetId: found.id }),
      organizationId: ctx.organizationId,
      revokedAt: null,
    },
    select: { id: true, name: true, tokenPrefix: true, revokedAt: true, expiresAt: true },
    orderBy: { createdAt: 'desc' },
  });
  return {
    organization: found.organization,
    target: { kind: found.kind, id: found.id, name: found.name },
    grants: grants
      .filter((g) => grantStatus(g) === 'active')
      .map(({ id, name, tokenPrefix }) => ({ id, name, tokenPrefix })),
    canAuthorize: roleAtLeast(ctx.role, 'editor'),
  };
}

/** `choice`: "new" (a grant named `grantName`) or the id of an active grant of the server or toolset. Returns the redirect to the client. */
export async function approveConsent(
  db: Db,
  userId: string,
  request: AuthorizationRequest,
  choice: string,
  grantName: string,
): Promise<string> {
  const view = await loadConsent(db, userId, request);
  const ctx = await resolveMembership(db, userId, view.organization.slug, 'editor');
  let grantId: string;
  if (choice === 'new') {
    const created = await createGrant(db, ctx, {
      name: grantName.trim() || request.client.name,
      ...(view.target.kind === 'server' ? { serverId: view.target.id } : { toolsetId: view.target.id }),
    });
    grantId = created.grant.id;
  } else {
    const grant = view.grants.find((g) => g.id === choice);
    if (!grant)
      throw new ValidationError(
        `Choose an active grant of this ${view.target.kind}, or create a new one.`,
        '/grant',
      );
    grantId = grant.id;
  }
  const location = await issueAuthorizationCode(db, request, { userId, grantId });
  await recordAdminEvent(
    db,
    ctx,
    'grant.oauth_authorize',
    { type: 'grant', id: grantId },
    {
      client: request.client.name,
      clientId: request.client.clientId,
      redirectHost: new URL(request.redirectUri).host,
    },
  );
  await pruneOAuthRows(db);
  return location;
}
