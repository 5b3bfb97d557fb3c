// Who may create an account (SIGNUP_MODE): anyone, only holders of a valid invitation, or only
// addresses at the listed domains. Applies to password sign-up and to new OIDC users alike.
import { env } from '../../env';

export type SignupPolicy =
  { mode: 'open' } | { mode: 'invite' } | { mode: 'domains'; domains: readonly string[] };

export function signupPolicy(): SignupPolicy {
  const { SIGNUP_MODE, SIGNUP_DOMAINS } = env();
  if (SIGNUP_MODE !== 'domains') return { mode: SIGNUP_MODE };
  const domains = SIGNUP_DOMAINS.split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
  if (domains.length === 0)
    throw new Error(
      'SIGNUP_MODE=domains needs SIGNUP_DOMAINS (e.g. "a.com,b.org"); see apps/dashboard/.env.example.',
    );
  return { mode: 'domains', domains };
}

/** Exact domain match after lower-casing: "x@sub.a.com" is not at "a.com", nor is "x@a.com.evil.test". */
export function emailDomainAllowed(email: string, domains: readonly string[]): boolean {
  const at = email.lastIndexOf('@');
  if (at < 1) return false;
  return domains.includes(
    email
      .slice(at + 1)
      .trim()
      .toLowerCase(),
  );
}

export function domainsRefusal(domains: readonly string[]): string {
  return `Sign-up is limited to addresses at ${domains.join(', ')}.`;
}

export const INVITATION_REQUIRED = 'Sign-up needs an invitation: open the invitation link an admin sent you.';
