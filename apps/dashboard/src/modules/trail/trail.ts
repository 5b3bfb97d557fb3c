import type { Db } from '@portcullis/db/client';
import type { OrgContext } from '../../server/context';
import { decodeCursor, encodeCursor } from '../audit/audit';

export async function listAdminEvents(
  db: Db,
  ctx: OrgContext,
  options: { cursor?: string; limit?: number } = {},
) {
  const limit = Math.min(options.limit ?? 50, 200);
  const cursor = decodeCursor(options.cursor);
  const rows = await db.adminEvent.findMany({
    where: {
      organizationId: ctx.organizationId,
      ...(cursor
        ? {
            OR: [
              { createdAt: { lt: cursor.createdAt } },
              { createdAt: cursor.createdAt, id: { lt: cursor.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** What people call the things the events mention: servers, toolsets, grants, tools, people, keys, approvals, policy versions. */
export async function namesForEvents(db: Db, ctx: OrgContext, ids: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (ids.length === 0) return names;
  const org = { organizationId: ctx.organizationId, id: { in: ids } };
  const [servers, grants, tools, keys, approvals, policies, invitations, users, channels, toolsets] =
    await Promise.all([
      db.mcpServer.findMany({ where: org, select: { id: true, name: true, deletedAt: true } }),
      db.grant.findMany({ where: org, select: { id: true, name: true } }),
      db.tool.findMany({ where: org, select: { id: true, name: true } }),
      db.apiKey.findMany({ where: org, select: { id: true, name: true } }),
      db.approval.findMany({ where: org, select: { id: true, toolName: true } }),
      db.policyVersion.findMany({
        where: org,
        select: { id: true, version: true, server: { select: { name: true } } },
      }),
      db.invitation.findMany({ where: org, select: { id: true, email: true } }),
      // Members are recorded by user id; only people who are or were in this organization's trail are asked for.
      db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } }),
      db.notificationChannel.findMany({ where: org, select: { id: true, name: true } }),
      db.toolset.findMany({ where: org, select: { id: true, name: true, deletedAt: true } }),
    ]);
  // A deleted server's row carries "(deleted <id>)" in its name to free the name; say it in words.
  for (const s of servers)
    names.set(s.id, s.deletedAt ? `${s.name.replace(/ \(deleted [^)]*\)$/, '')} (deleted)` : s.name);
  for (const g of grants) names.set(g.id, g.name);
  for (const t of tools) names.set(t.id, t.name);
  for (const k of keys) names.set(k.id, k.name);
  for (const a of approvals) names.set(a.id, `for ${a.toolName}`);
  for (const p of policies)
    names.set(p.id, `version ${p.version} of ${p.server.name.replace(/ \(deleted [^)]*\)$/, '')}`);
  for (const i of invitations) names.set(i.id, i.email ?? 'by link');
  for (const u of users) names.set(u.id, u.email);
  for (const c of channels) names.set(c.id, c.name);
  for (const t of toolsets)
    names.set(t.id, t.deletedAt ? `${t.name.replace(/ \(deleted [^)]*\)$/, '')} (deleted)` : t.name);
  return names;
}
