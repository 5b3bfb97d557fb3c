import type { Metadata } from 'next';
import { CheckEmailPage } from '../../../../modules/accounts/check-email-page';

export const metadata: Metadata = { title: 'Check your e-mail' };

export default function Page() {
  return <CheckEmailPage />;
}
