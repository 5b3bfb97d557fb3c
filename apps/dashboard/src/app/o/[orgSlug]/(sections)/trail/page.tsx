import { TrailPage } from '../../../../../modules/trail/trail-page';

export const metadata = { title: 'Admin trail' };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ orgSlug: string }>;
  searchParams: Promise<{ cursor?: string }>;
}) {
  const { cursor } = await searchParams;
  return (
    <TrailPage orgSlug={(await params).orgSlug} cursor={typeof cursor === 'string' ? cursor : undefined} />
  );
}
