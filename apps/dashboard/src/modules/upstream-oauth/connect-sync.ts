// After the first account of a server is connected, its catalog is synced with that account (a
// server behind sign-in cannot be synced at registration: there is no token yet).
import type { Db } from '@portcullis/db/client';
import { resolveMembership } from '../orgs/membership';
import { roleAtLeast } from '../../server/roles';
import { syncServer } from '../servers/servers';

export async function syncAfterConnect(
  db: Db,
  userId: string,
  done: { orgSlug: string; serverId: string },
): Promise<void> {
  const server = await db.mcpServer.findUnique({
    where: { id: done.serverId },
    select: { lastSyncAt: true },
  });
  if (!server || server.lastSyncAt) return;
  const ctx = await resolveMembership(db, userId, done.orgSlug, 'viewer');
  if (!roleAtLeast(ctx.role, 'editor')) return;
  await syncServer(db, ctx, done.serverId);
}
