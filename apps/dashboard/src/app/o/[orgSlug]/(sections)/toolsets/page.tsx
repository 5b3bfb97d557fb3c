import { ToolsetsPage } from '../../../../../modules/toolsets/toolsets-page';

export const metadata = { title: 'Toolsets' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <ToolsetsPage orgSlug={(await params).orgSlug} />;
}
