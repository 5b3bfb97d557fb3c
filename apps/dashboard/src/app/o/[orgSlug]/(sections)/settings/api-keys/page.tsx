import { ApiKeysPage } from '../../../../../../modules/api-keys/api-keys-page';

export const metadata = { title: 'API keys' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <ApiKeysPage orgSlug={(await params).orgSlug} />;
}
