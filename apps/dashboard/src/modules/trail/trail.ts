import type { Db } from '@portcullis/db/client';
import type { OrgContext } from '../../server/context';
import { decodeCursor, encodeCursor } from '../audit/audit';

export async function listAdminEvents(db: Db, ctx: OrgContext, options: { cursor?: string; limit?: number } = {}) {
  const limit = Math.min(options.limit ?? 50, 200);
  const cursor = decodeCursor(options.cursor);
  const rows = await db.adminEvent.findMany({
    where: {
      organizationId: ctx.organizationId,
      ...(cursor ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
