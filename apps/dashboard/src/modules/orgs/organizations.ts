import { randomBytes } from 'node:crypto';
import type { Db } from '@portcullis/db/client';
import { z } from 'zod';
import { recordAdminEvent } from '../trail/record';
import { ValidationError } from '../../server/errors';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export function slugify(name: string): string {
  const base = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return base || 'org';
}

/** Creates an organization with `ownerId` as owner; the slug gets a random suffix when taken. */
export async function createOrganizationInTx(
  tx: Tx,
  input: { name: string; ownerId: string; ownerLabel: string },
) {
  const base = slugify(input.name);
  let slug = base;
  for (
    let attempt = 0;
    await tx.organization.findUnique({ where: { slug }, select: { id: true } });
    attempt += 1
  ) {
    slug = `${base}-${randomBytes(attempt < 3 ? 2 : 4).toString('hex')}`;
  }
  const org = await tx.organization.create({ data: { name: input.name, slug } });
  await tx.membership.create({ data: { organizationId: org.id, userId: input.ownerId, role: 'owner' } });
  await recordAdminEvent(
    tx,
    { organizationId: org.id, actor: { kind: 'user', id: input.ownerId, label: input.ownerLabel } },
    'organization.create',
    {
      type: 'organization',
      id: org.id,
    },
    { name: input.name },
  );
  return org;
}

const nameSchema = z.string().trim().min(1, 'Enter an organization name.').max(100);

export async function createOrganization(db: Db, user: { id: string; email: string }, name: string) {
  const parsed = nameSchema.safeParse(name);
  if (!parsed.success) throw new ValidationError(parsed.error.issues[0]!.message, 'name');
  return db.$transaction((tx) =>
    createOrganizationInTx(tx, { name: parsed.data, ownerId: user.id, ownerLabel: user.email }),
  );
}
