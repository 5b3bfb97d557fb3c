import { ToolsetPage } from '../../../../../modules/toolsets/toolset-page';

export const metadata = { title: 'Toolset' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string; toolsetId: string }> }) {
  const { orgSlug, toolsetId } = await params;
  return <ToolsetPage orgSlug={orgSlug} toolsetId={toolsetId} />;
}
