import { CatalogPage } from '../../../../../modules/catalog/catalog-page';

export const metadata = { title: 'Catalog' };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ orgSlug: string; serverId: string }>;
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { orgSlug, serverId } = await params;
  return <CatalogPage orgSlug={orgSlug} serverId={serverId} search={await searchParams} />;
}
