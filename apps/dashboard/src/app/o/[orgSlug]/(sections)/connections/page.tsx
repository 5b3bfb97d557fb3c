import { ConnectionsPage } from '../../../../../modules/upstream-oauth/connections-page';

export const metadata = { title: 'Connections' };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ orgSlug: string }>;
  searchParams: Promise<{ server?: string | string[]; connected?: string | string[] }>;
}) {
  const query = await searchParams;
  const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v.slice(0, 200) : undefined);
  return (
    <ConnectionsPage
      orgSlug={(await params).orgSlug}
      highlight={one(query.server)}
      connected={one(query.connected)}
    />
  );
}
