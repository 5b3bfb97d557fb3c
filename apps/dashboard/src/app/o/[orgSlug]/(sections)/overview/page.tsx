import { OverviewPage } from '../../../../../modules/overview/overview-page';

export const metadata = { title: 'Overview' };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ orgSlug: string }>;
  searchParams: Promise<{ range?: string | string[] }>;
}) {
  const range = (await searchParams).range;
  return (
    <OverviewPage orgSlug={(await params).orgSlug} range={typeof range === 'string' ? range : undefined} />
  );
}
