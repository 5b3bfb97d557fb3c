import { MembersPage } from '../../../../../modules/orgs/members-page';

export const metadata = { title: 'Members' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <MembersPage orgSlug={(await params).orgSlug} />;
}
