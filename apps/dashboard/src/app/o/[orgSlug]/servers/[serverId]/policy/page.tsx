import { PolicyPage } from '../../../../../../modules/policies/policy-page';

export const metadata = { title: 'Policy' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string; serverId: string }> }) {
  const { orgSlug, serverId } = await params;
  return <PolicyPage orgSlug={orgSlug} serverId={serverId} />;
}
