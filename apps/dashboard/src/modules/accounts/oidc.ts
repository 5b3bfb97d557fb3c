// OIDC sign-in without a database adapter (sessions are JWTs): link by provider subject, else by email.
import type { Db } from '@portcullis/db/client';
import { createOrganizationInTx } from '../orgs/organizations';

export interface OidcProfile {
  email: string;
  name: string | null;
  subject: string;
  /** The provider's `email_verified` claim. */
  emailVerified: boolean;
}

export const OIDC_EMAIL_UNVERIFIED = 'OidcEmailUnverified';

/** A sign-in that would attach an identity provider account to someone else's user. */
export class OidcLinkRefused extends Error {
  readonly code = OIDC_EMAIL_UNVERIFIED;
}

/**
 * The user an OIDC identity signs in as. An identity seen before keeps its user. A new identity is
 * linked to the existing user with the same email only when the provider says it verified that
 * email: otherwise anyone who can set an unverified address at the provider (many allow it) would
 * sign in as our user. A new email gets a new user and organization either way.
 */
export async function findOrCreateOidcUser(db: Db, profile: OidcProfile): Promise<string> {
  const linked = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: 'oidc', providerAccountId: profile.subject } },
    select: { userId: true },
  });
  if (linked) return linked.userId;
  const email = profile.email.toLowerCase();
  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (user && !profile.emailVerified) throw new OidcLinkRefused(`The identity provider has not verified ${email}; sign in with your password instead`);
    if (!user) {
      user = await tx.user.create({ data: { email, name: profile.name, emailVerified: profile.emailVerified ? new Date() : null } });
      await createOrganizationInTx(tx, { name: `${profile.name ?? email.split('@')[0]}'s organization`, ownerId: user.id, ownerLabel: email });
    }
    await tx.account.create({ data: { userId: user.id, type: 'oidc', provider: 'oidc', providerAccountId: profile.subject } });
    return user.id;
  });
}
