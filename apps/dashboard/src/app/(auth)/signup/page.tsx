import type { Metadata } from 'next';
import { SignUpPage } from '../../../modules/accounts/signup-page';

export const metadata: Metadata = { title: 'Create account' };
export const dynamic = 'force-dynamic';

export default async function Page({ searchParams }: { searchParams: Promise<{ invite?: string }> }) {
  const { invite } = await searchParams;
  return <SignUpPage invitation={typeof invite === 'string' ? invite : undefined} />;
}
