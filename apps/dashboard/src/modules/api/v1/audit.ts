import { listAuditEvents, parseAuditFilter } from '../../audit/audit';
import { db } from '../../../server/db';
import { apiRoute } from '../handler';

export const listAuditRoute = apiRoute('viewer', async ({ ctx, request }) => {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const limit = Math.min(Number(params.limit ?? 100) || 100, 500);
  const page = await listAuditEvents(db(), ctx, parseAuditFilter(params), { cursor: params.cursor ?? null, limit });
  return { events: page.rows, nextCursor: page.nextCursor };
});
