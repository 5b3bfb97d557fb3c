// Resolving "who is this, in which organization, with which role" from a user id or an API key.
// Pages and actions reach this through server/guard.ts; the REST API through modules/api/handler.ts.
import type { Db } from '@portcullis/db/client';
import type { Role } from '@portcullis/db/types';
import { hashToken } from '@portcullis/crypto/tokens';
import { assertRole, type OrgContext } from '../../server/context';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../server/errors';
import { roleAtLeast } from '../../server/roles';

/** Throws NotFound when the user is not a member (the org's existence is not revealed). */
export async function resolveMembership(
  db: Db,
  userId: string,
  orgSlug: string,
  minRole: Role,
): Promise<OrgContext> {
  const membership = await db.membership.findFirst({
    where: { userId, organization: { slug: orgSlug } },
    include: { organization: true, user: { select: { name: true, email: true } } },
  });
  if (!membership) throw new NotFoundError('Organization not found');
  const ctx: OrgContext = {
    organizationId: membership.organizationId,
    orgSlug: membership.organization.slug,
    orgName: membership.organization.name,
    role: membership.role,
    actor: { kind: 'user', id: userId, label: membership.user.email },
  };
  assertRole(ctx, minRole);
  return ctx;
}

/**
 * An organization API key ("pck_…"): looked up by hash. It acts with the lower of its own role and
 * its creator's current role in the organization, checked on every use: a key must never outlive
 * or outrank the person who made it (removed creator → 401, demoted creator → the demoted role).
 */
export async function resolveApiKey(db: Db, token: string, minRole: Role): Promise<OrgContext> {
  const key = await db.apiKey.findUnique({
    where: { keyHash: hashToken(token) },
    include: { organization: true },
  });
  const now = new Date();
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now))
    throw new UnauthenticatedError('API key is invalid, revoked or expired.');
  const creator = key.createdById
    ? await db.membership.findUnique({
        where: { organizationId_userId: { organizationId: key.organizationId, userId: key.createdById } },
        select: { role: true },
      })
    : null;
  if (!creator) {
    throw new UnauthenticatedError(
      `API key ${key.prefix}… no longer works: the person who created it is not a member of this organization any more. Ask an admin to create a new key.`,
    );
  }
  // Last-used is informational; at most one write per minute per key.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
  }
  const ctx: OrgContext = {
    organizationId: key.organizationId,
    orgSlug: key.organization.slug,
    orgName: key.organization.name,
    role: roleAtLeast(creator.role, key.role) ? key.role : creator.role,
    actor: { kind: 'apiKey', id: key.id, label: `API key ${key.prefix}…` },
  };
  if (!roleAtLeast(ctx.role, minRole)) {
    const capped =
      ctx.role === key.role ? '' : ` (the key's role ${key.role} is capped by its creator's current role)`;
    throw new ForbiddenError(
      `Only ${minRole}s and above can do this; this API key acts as ${ctx.role}${capped}.`,
    );
  }
  return ctx;
}

export async function listUserOrganizations(db: Db, userId: string) {
  const memberships = await db.membership.findMany({
    where: { userId },
    include: { organization: { select: { slug: true, name: true } } },
    orderBy: { createdAt: 'asc' },
  });
  return memberships.map((m) => ({ slug: m.organization.slug, name: m.organization.name, role: m.role }));
}
