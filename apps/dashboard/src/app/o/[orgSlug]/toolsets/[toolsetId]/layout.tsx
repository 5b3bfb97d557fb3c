import type { ReactNode } from 'react';
import { getToolset } from '../../../../../modules/toolsets/toolsets';
import { db } from '../../../../../server/db';
import { requireMembership } from '../../../../../server/guard';
import { notFoundOnMissing } from '../../../../../server/not-found';

// As servers/[serverId]: another organization's (or a deleted) toolset answers a real HTTP 404, so
// the check sits above this segment's loading boundary, outside the (sections) group's.
export default async function ToolsetLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ orgSlug: string; toolsetId: string }>;
}) {
  const { orgSlug, toolsetId } = await params;
  await notFoundOnMissing(getToolset(db(), await requireMembership(orgSlug, 'viewer'), toolsetId));
  return children;
}
