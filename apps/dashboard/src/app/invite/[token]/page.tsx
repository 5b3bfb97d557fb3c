import { InvitePage } from '../../../modules/orgs/invite-page';

export const metadata = { title: 'Invitation', referrer: 'no-referrer' };

export default async function Page({ params }: { params: Promise<{ token: string }> }) {
  return <InvitePage token={(await params).token} />;
}
