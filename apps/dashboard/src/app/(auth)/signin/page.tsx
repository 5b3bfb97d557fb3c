import type { Metadata } from 'next';
import { AuthCard } from '../../../modules/accounts/components/auth-card';
import { OidcButton } from '../../../modules/accounts/components/oidc-button';
import { SignInForm } from '../../../modules/accounts/components/signin-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const { callbackUrl } = await searchParams;
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
      <SignInForm callbackUrl={path} />
      <OidcButton />
    </AuthCard>
  );
}
