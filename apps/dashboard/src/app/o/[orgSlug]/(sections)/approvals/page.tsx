import { ApprovalsPage } from '../../../../../modules/approvals/approvals-page';

export const metadata = { title: 'Approvals' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <ApprovalsPage orgSlug={(await params).orgSlug} />;
}
