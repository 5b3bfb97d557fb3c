// OIDC sign-in without a database adapter (sessions are JWTs): link by provider subject, else by email.
import type { Db } from '@portcullis/db/client';
import { createOrganizationInTx } from '../orgs/organizations';
import { domainsRefusal, emailDomainAllowed, type SignupPolicy } from './signup-policy';

export interface OidcProfile {
  email: string;
  name: string | null;
  subject: string;
  /** The provider's `email_verified` claim. */
  emailVerified: boolean;
}

export const OIDC_EMAIL_UNVERIFIED = 'OidcEmailUnverified';
export const OIDC_SIGNUP_REFUSED = 'OidcSignupRefused';

/** A sign-in that would attach an identity provider account to someone else's user. */
export class OidcLinkRefused extends Error {
  readonly code = OIDC_EMAIL_UNVERIFIED;
}

/** A new user the sign-up policy (SIGNUP_MODE) does not let in. */
export class OidcSignupRefused extends Error {
  readonly code = OIDC_SIGNUP_REFUSED;
}

/**
 * The user an OIDC identity signs in as. An identity seen before keeps its user. A new identity is
 * linked to the existing user with the same email only when both sides have verified that address:
 * the provider (`email_verified` exactly true), else anyone who can set an unverified address there
 * would sign in as our user; and our user, else whoever signed up first with someone else's address
 * (never proving it) would be handed that person's SSO sign-ins. A provider-verified address counts
 * as verified here. A new email gets a new user and organization, if the sign-up policy allows it.
 */
export async function findOrCreateOidcUser(
  db: Db,
  profile: OidcProfile,
  policy: SignupPolicy = { mode: 'open' },
): Promise<string> {
  const email = profile.email.toLowerCase();
  const linked = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: 'oidc', providerAccountId: profile.subject } },
    select: { userId: true, user: { select: { email: true, emailVerified: true } } },
  });
  if (linked) {
    if (profile.emailVerified && !linked.user.emailVerified && linked.user.email === email) {
      await db.user.update({ where: { id: linked.userId }, data: { emailVerified: new Date() } });
    }
    return linked.userId;
  }
  return db.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (user && !profile.emailVerified)
      throw new OidcLinkRefused(
        `The identity provider has not verified ${email}; sign in with your password instead`,
      );
    if (user && !user.emailVerified)
      throw new OidcLinkRefused(
        `${email} has not been verified here yet; sign in with your password and verify it first`,
      );
    if (!user) {
      if (policy.mode === 'invite') throw new OidcSignupRefused('Sign-up needs an invitation');
      // A domain claim the provider has not verified proves nothing about the domain.
      if (policy.mode === 'domains' && !(profile.emailVerified && emailDomainAllowed(email, policy.domains)))
        throw new OidcSignupRefused(domainsRefusal(policy.domains));
      user = await tx.user.create({
        data: { email, name: profile.name, emailVerified: profile.emailVerified ? new Date() : null },
      });
      await createOrganizationInTx(tx, {
        name: `${profile.name ?? email.split('@')[0]}'s organization`,
        ownerId: user.id,
        ownerLabel: email,
      });
    }
    await tx.account.create({
      data: { userId: user.id, type: 'oidc', provider: 'oidc', providerAccountId: profile.subject },
    });
    return user.id;
  });
}
