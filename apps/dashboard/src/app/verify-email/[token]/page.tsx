import { VerifyEmailPage } from '../../../modules/accounts/verify-email-page';

export const metadata = { title: 'Confirm your e-mail', referrer: 'no-referrer' };

export default async function Page({ params }: { params: Promise<{ token: string }> }) {
  return <VerifyEmailPage token={(await params).token} />;
}
