// The OAuth clients authorized on an organization's grants, and revoking one client's tokens on a grant.
import type { Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import { grantTarget } from '../grants/grants';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { NotFoundError } from '../../server/errors';

export interface AuthorizedClientView {
  grantId: string;
  grantName: string;
  /** The grant's server or toolset. */
  targetName: string;
  /** oauth_clients.id */
  clientId: string;
  clientName: string;
  clientIdentifier: string;
  authorizedAt: Date;
  lastIssuedAt: Date;
}

/** Clients holding a live refresh or access token on one of the organization's grants. */
export async function listAuthorizedClients(
  db: Db,
  ctx: OrgContext,
  now = new Date(),
): Promise<AuthorizedClientView[]> {
  const tokens = await db.oAuthToken.findMany({
    where: {
      revokedAt: null,
      grant: {
        organizationId: ctx.organizationId,
        revokedAt: null,
        OR: [{ server: { deletedAt: null } }, { toolset: { deletedAt: null } }],
      },
      OR: [{ accessExpiresAt: { gt: now } }, { rotatedAt: null, refreshExpiresAt: { gt: now } }],
    },
    select: {
      createdAt: true,
      grant: {
        select: {
          id: true,
          name: true,
          serverId: true,
          toolsetId: true,
          server: { select: { name: true } },
          toolset: { select: { name: true } },
        },
      },
      client: { select: { id: true, name: true, clientId: true } },
    },
    orderBy: { createdAt: 'asc' },
  });
  const byKey = new Map<string, AuthorizedClientView>();
  for (const t of tokens) {
    const key = `${t.grant.id}:${t.client.id}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.lastIssuedAt = t.createdAt;
      continue;
    }
    byKey.set(key, {
      grantId: t.grant.id,
      grantName: t.grant.name,
      targetName: grantTarget(t.grant).name,
      clientId: t.client.id,
      clientName: t.client.name,
      clientIdentifier: t.client.clientId,
      authorizedAt: t.createdAt,
      lastIssuedAt: t.createdAt,
    });
  }
  return [...byKey.values()].sort((a, b) => b.lastIssuedAt.getTime() - a.lastIssuedAt.getTime());
}

/** Every token of `clientId` on the grant stops working (access at once, refresh too); the grant stays. */
export async function revokeAuthorizedClient(
  db: Db,
  ctx: OrgContext,
  grantId: string,
  clientId: string,
): Promise<void> {
  assertRole(ctx, 'editor');
  const grant = await db.grant.findFirst({
    where: { id: grantId, organizationId: ctx.organizationId },
    select: { id: true, name: true },
  });
  if (!grant) throw new NotFoundError('Grant not found');
  const client = await db.oAuthClient.findUnique({
    where: { id: clientId },
    select: { name: true, clientId: true },
  });
  if (!client) throw new NotFoundError('Client not found');
  await db.$transaction(async (tx) => {
    await tx.oAuthToken.updateMany({
      where: { grantId: grant.id, clientId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'grant.oauth_revoke',
      { type: 'grant', id: grant.id },
      { name: grant.name, client: client.name, clientId: client.clientId },
    );
  });
  // The gateway drops cached lookups of this grant's tokens at once.
  await notifyChange(db, { type: 'grant', organizationId: ctx.organizationId, grantId: grant.id });
}
