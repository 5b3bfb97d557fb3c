import type { Metadata } from 'next';
import { AuthCard } from '../../../modules/accounts/components/auth-card';
import { OidcButton } from '../../../modules/accounts/components/oidc-button';
import { OIDC_EMAIL_UNVERIFIED, OIDC_SIGNUP_REFUSED } from '../../../modules/accounts/oidc';
import { VERIFICATION_LINK_INVALID } from '../../../modules/accounts/auth-errors';
import { SignInForm } from '../../../modules/accounts/components/signin-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; error?: string }>;
}) {
  const { callbackUrl, error } = await searchParams;
  // Auth.js sends an absolute URL; keep only its path so the form can never redirect off-site.
  let path = '/';
  if (typeof callbackUrl === 'string') {
    try {
      const url = new URL(callbackUrl, 'http://local');
      path = `${url.pathname}${url.search}`;
    } catch {
      path = '/';
    }
  }
  return (
    <AuthCard title="Sign in">
      {error === OIDC_EMAIL_UNVERIFIED && (
        <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900">
          An account with this email already exists, and the address is not verified (by your identity
          provider, or here), so it was not linked. Sign in with your password and verify the address, or
          verify the email at your provider first.
        </p>
      )}
      {error === OIDC_SIGNUP_REFUSED && (
        <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900">
          This dashboard does not let that address create an account (sign-up is limited to invitations or to
          certain domains). Ask an admin for an invitation.
        </p>
      )}
      {error === VERIFICATION_LINK_INVALID && (
        <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900">
          That confirmation link is invalid, expired or already used. Sign in, then use “Resend link” on the
          banner for a new one.
        </p>
      )}
      <SignInForm callbackUrl={path} />
      <OidcButton />
    </AuthCard>
  );
}
