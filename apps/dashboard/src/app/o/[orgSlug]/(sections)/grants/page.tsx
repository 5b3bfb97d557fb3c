import { GrantsPage } from '../../../../../modules/grants/grants-page';

export const metadata = { title: 'Grants' };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ orgSlug: string }>;
  searchParams: Promise<{ server?: string }>;
}) {
  const { orgSlug } = await params;
  const { server } = await searchParams;
  return <GrantsPage orgSlug={orgSlug} serverId={typeof server === 'string' ? server : undefined} />;
}
