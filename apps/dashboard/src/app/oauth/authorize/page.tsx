import { ConsentPage } from '../../../modules/oauth/consent-page';

export const metadata = { title: 'Connect an MCP client' };
export const dynamic = 'force-dynamic';

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  return <ConsentPage searchParams={await searchParams} />;
}
