// Organization API keys for the REST API: shown once, stored as SHA-256 hashes, each with a role.
import type { Db } from '@portcullis/db/client';
import { issueToken } from '@portcullis/crypto/tokens';
import { z } from 'zod';
import { recordAdminEvent } from '../trail/record';
import { assertRole, actorUserId, type OrgContext } from '../../server/context';
import { ForbiddenError, NotFoundError, parseInput } from '../../server/errors';
import { roleAtLeast } from '../../server/roles';

const input = z.object({
  name: z.string().trim().min(1, 'Enter a key name.').max(100),
  role: z.enum(['owner', 'admin', 'editor', 'viewer']).default('editor'),
  expiresAt: z.coerce.date().optional().nullable(),
});

export async function listApiKeys(db: Db, ctx: OrgContext) {
  return db.apiKey.findMany({
    where: { organizationId: ctx.organizationId },
    select: {
      id: true,
      name: true,
      prefix: true,
      role: true,
      lastUsedAt: true,
      expiresAt: true,
      revokedAt: true,
      createdAt: true,
    },
    orderBy: { createdAt: 'desc' },
  });
}

export async function createApiKey(db: Db, ctx: OrgContext, raw: z.input<typeof input>) {
  assertRole(ctx, 'admin');
  const data = parseInput(input, raw);
  // A key can never hold more power than the person who made it.
  if (!roleAtLeast(ctx.role, data.role))
    throw new ForbiddenError(`You cannot create a key with role ${data.role}.`);
  const issued = issueToken('apiKey');
  const key = await db.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        organizationId: ctx.organizationId,
        name: data.name,
        prefix: issued.prefix,
        keyHash: issued.hash,
        role: data.role,
        createdById: actorUserId(ctx),
        expiresAt: data.expiresAt ?? null,
      },
      select: { id: true, name: true, prefix: true, role: true },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'api_key.create',
      { type: 'api_key', id: created.id },
      { name: created.name, prefix: created.prefix, role: created.role },
    );
    return created;
  });
  return { ...key, token: issued.token };
}

export async function revokeApiKey(db: Db, ctx: OrgContext, keyId: string): Promise<void> {
  assertRole(ctx, 'admin');
  const { count } = await db.apiKey.updateMany({
    where: { id: keyId, organizationId: ctx.organizationId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (!count) throw new NotFoundError('API key not found');
  await recordAdminEvent(db, ctx, 'api_key.revoke', { type: 'api_key', id: keyId });
}
