// Members, invitations and leaving. Admins manage members; only owners grant or remove ownership,
// and an organization always keeps at least one owner.
import { dropMemberConnections } from '../upstream-oauth/connections';
import type { Db } from '@portcullis/db/client';
import type { Role } from '@portcullis/db/types';
import { hashToken, issueToken } from '@portcullis/crypto/tokens';
import { z } from 'zod';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../server/errors';

const INVITATION_TTL_MS = 7 * 24 * 3_600_000;
const roleSchema = z.enum(['owner', 'admin', 'editor', 'viewer']);

export async function listMembers(db: Db, ctx: OrgContext) {
  return db.membership.findMany({
    where: { organizationId: ctx.organizationId },
    select: {
      id: true,
      role: true,
      createdAt: true,
      user: { select: { id: true, email: true, name: true } },
    },
    orderBy: { createdAt: 'asc' },
  });
}

export async function listInvitations(db: Db, ctx: OrgContext) {
  return db.invitation.findMany({
    where: {
      organizationId: ctx.organizationId,
      acceptedAt: null,
      revokedAt: null,
      expiresAt: { gt: new Date() },
    },
    select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
    orderBy: { createdAt: 'desc' },
  });
}

function assertMayAssign(ctx: OrgContext, role: Role): void {
  if (role === 'owner' && ctx.role !== 'owner')
    throw new ForbiddenError('Only owners can make someone an owner.');
}

/** Returns the invitation secret once; the link is /invite/<token>. */
export async function createInvitation(
  db: Db,
  ctx: OrgContext,
  input: { email?: string | null; role: string },
) {
  assertRole(ctx, 'admin');
  const role = roleSchema.safeParse(input.role);
  if (!role.success) throw new ValidationError('Choose a role: owner, admin, editor or viewer.', '/role');
  assertMayAssign(ctx, role.data);
  const email = input.email?.trim().toLowerCase() || null;
  if (email && !z.email().safeParse(email).success)
    throw new ValidationError('Enter a valid email address or leave it empty.', '/email');
  const issued = issueToken('invitation');
  const invitation = await db.$transaction(async (tx) => {
    const created = await tx.invitation.create({
      data: {
        organizationId: ctx.organizationId,
        email,
        role: role.data,
        tokenHash: issued.hash,
        invitedById: ctx.actor.id,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'member.invite',
      { type: 'invitation', id: created.id },
      { email, role: role.data },
    );
    return created;
  });
  return { invitationId: invitation.id, token: issued.token, expiresAt: invitation.expiresAt };
}

export async function revokeInvitation(db: Db, ctx: OrgContext, invitationId: string): Promise<void> {
  assertRole(ctx, 'admin');
  const { count } = await db.invitation.updateMany({
    where: { id: invitationId, organizationId: ctx.organizationId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (!count) throw new NotFoundError('Invitation not found');
  await recordAdminEvent(db, ctx, 'member.invite_revoke', { type: 'invitation', id: invitationId });
}

export async function findInvitation(db: Db, token: string) {
  const invitation = await db.invitation.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { organization: { select: { name: true, slug: true } } },
  });
  if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= new Date())
    return null;
  return invitation;
}

export async function acceptInvitation(
  db: Db,
  user: { id: string; email: string },
  token: string,
): Promise<{ orgSlug: string }> {
  const invitation = await findInvitation(db, token);
  if (!invitation) throw new NotFoundError('This invitation is invalid, expired or already used.');
  if (invitation.email && invitation.email !== user.email.toLowerCase()) {
    throw new ForbiddenError(`This invitation is for ${invitation.email}; sign in with that account.`);
  }
  // An invitation sent to an address belongs to whoever proved they read that address.
  if (invitation.email) {
    const { emailVerified } = await db.user.findUniqueOrThrow({
      where: { id: user.id },
      select: { emailVerified: true },
    });
    if (!emailVerified)
      throw new ForbiddenError(
        `Verify ${invitation.email} first: open the link we e-mailed you (or resend it from the banner), then accept this invitation.`,
      );
  }
  await db.$transaction(async (tx) => {
    const { count } = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null },
      data: { acceptedAt: new Date() },
    });
    if (!count) throw new ConflictError('This invitation was already used.');
    const existing = await tx.membership.findUnique({
      where: { organizationId_userId: { organizationId: invitation.organizationId, userId: user.id } },
    });
    if (!existing)
      await tx.membership.create({
        data: { organizationId: invitation.organizationId, userId: user.id, role: invitation.role },
      });
    await recordAdminEvent(
      tx,
      { organizationId: invitation.organizationId, actor: { kind: 'user', id: user.id, label: user.email } },
      'member.join',
      {
        type: 'membership',
        id: user.id,
      },
      { role: invitation.role, invitationId: invitation.id },
    );
  });
  return { orgSlug: invitation.organization.slug };
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * Taken before any change to who owns an organization, so such changes run one at a time: under
 * Read Committed two owners demoting or removing each other at once would each count the other as
 * still an owner, both commit, and leave none.
 */
async function lockOrganization(tx: Tx, organizationId: string): Promise<void> {
  await tx.$executeRaw`SELECT 1 FROM organizations WHERE id = ${organizationId} FOR UPDATE`;
}

async function ownerCount(tx: Tx, organizationId: string): Promise<number> {
  return tx.membership.count({ where: { organizationId, role: 'owner' } });
}

export async function changeMemberRole(
  db: Db,
  ctx: OrgContext,
  membershipId: string,
  roleInput: string,
): Promise<void> {
  assertRole(ctx, 'admin');
  const role = roleSchema.parse(roleInput);
  const member = await db.membership.findFirst({
    where: { id: membershipId, organizationId: ctx.organizationId },
  });
  if (!member) throw new NotFoundError('Member not found');
  assertMayAssign(ctx, role);
  if (member.role === 'owner' && ctx.role !== 'owner')
    throw new ForbiddenError('Only owners can change an owner’s role.');
  await db.$transaction(async (tx) => {
    await lockOrganization(tx, ctx.organizationId);
    await tx.membership.update({ where: { id: member.id }, data: { role } });
    if ((await ownerCount(tx, ctx.organizationId)) === 0)
      throw new ConflictError('An organization needs at least one owner.');
    await recordAdminEvent(
      tx,
      ctx,
      'member.role',
      { type: 'membership', id: member.userId },
      { from: member.role, to: role },
    );
  });
}

export async function removeMember(db: Db, ctx: OrgContext, membershipId: string): Promise<void> {
  assertRole(ctx, 'admin');
  const member = await db.membership.findFirst({
    where: { id: membershipId, organizationId: ctx.organizationId },
    include: { user: { select: { email: true } } },
  });
  if (!member) throw new NotFoundError('Member not found');
  if (member.role === 'owner' && ctx.role !== 'owner')
    throw new ForbiddenError('Only owners can remove an owner.');
  await db.$transaction(async (tx) => {
    await lockOrganization(tx, ctx.organizationId);
    await tx.membership.delete({ where: { id: member.id } });
    if ((await ownerCount(tx, ctx.organizationId)) === 0)
      throw new ConflictError('An organization needs at least one owner; make someone else owner first.');
    await recordAdminEvent(
      tx,
      ctx,
      'member.remove',
      { type: 'membership', id: member.userId },
      { email: member.user.email, role: member.role },
    );
  });
  // Their upstream accounts stop serving this organization's grants at once (revoked, deleted).
  await dropMemberConnections(db, ctx.organizationId, member.userId);
}

export async function leaveOrganization(db: Db, ctx: OrgContext): Promise<void> {
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('Only people can leave an organization.');
  await db.$transaction(async (tx) => {
    await lockOrganization(tx, ctx.organizationId);
    const { count } = await tx.membership.deleteMany({
      where: { organizationId: ctx.organizationId, userId: ctx.actor.id },
    });
    if (!count) throw new NotFoundError('Membership not found');
    if ((await ownerCount(tx, ctx.organizationId)) === 0)
      throw new ConflictError('You are the last owner; make someone else owner before leaving.');
    await recordAdminEvent(tx, ctx, 'member.leave', { type: 'membership', id: ctx.actor.id });
  });
  await dropMemberConnections(db, ctx.organizationId, ctx.actor.id);
}
