// OIDC sign-in without a database adapter (sessions are JWTs): link by provider subject, else by email.
import type { Db } from '@portcullis/db/client';
import { createOrganizationInTx } from '../orgs/organizations';

export async function findOrCreateOidcUser(db: Db, profile: { email: string; name: string | null; subject: string }): Promise<string> {
  const linked = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: 'oidc', providerAccountId: profile.subject } },
    select: { userId: true },
  });
  if (linked) return linked.userId;
  const email = profile.email.toLowerCase();
  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (!user) {
      user = await tx.user.create({ data: { email, name: profile.name, emailVerified: new Date() } });
      await createOrganizationInTx(tx, { name: `${profile.name ?? email.split('@')[0]}'s organization`, ownerId: user.id, ownerLabel: email });
    }
    await tx.account.create({ data: { userId: user.id, type: 'oidc', provider: 'oidc', providerAccountId: profile.subject } });
    return user.id;
  });
}
