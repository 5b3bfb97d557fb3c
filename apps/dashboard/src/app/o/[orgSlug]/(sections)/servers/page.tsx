import { ServersPage } from '../../../../../modules/servers/servers-page';

export const metadata = { title: 'Servers' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <ServersPage orgSlug={(await params).orgSlug} />;
}
