import type { Metadata } from 'next';
import { AuthCard } from '../../../modules/accounts/components/auth-card';
import { OidcButton } from '../../../modules/accounts/components/oidc-button';
import { OIDC_EMAIL_UNVERIFIED } from '../../../modules/accounts/oidc';
import { SignInForm } from '../../../modules/accounts/components/signin-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
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
          An account with this email already exists, and your identity provider has not verified the address, so it was
          not linked. Sign in with your password, or verify the email at your provider first.
        </p>
      )}
      <SignInForm callbackUrl={path} />
      <OidcButton />
    </AuthCard>
  );
}
