import type { ReactNode } from 'react';
import { getServer } from '../../../../../modules/servers/servers';
import { db } from '../../../../../server/db';
import { requireMembership } from '../../../../../server/guard';
import { notFoundOnMissing } from '../../../../../server/not-found';

// Another organization's (or a deleted) server answers a real HTTP 404. The check sits here, above
// this segment's loading boundary: a notFound() thrown inside a Suspense boundary comes after the
// 200 status has been sent. (The list pages share the loading boundary of the (sections) group.)
export default async function ServerLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ orgSlug: string; serverId: string }>;
}) {
  const { orgSlug, serverId } = await params;
  await notFoundOnMissing(getServer(db(), await requireMembership(orgSlug, 'viewer'), serverId));
  return children;
}
