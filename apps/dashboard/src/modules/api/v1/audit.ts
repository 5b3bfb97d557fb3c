import { z } from 'zod';
import { auditFilterSchema, listAuditEvents } from '../../audit/audit';
import { db } from '../../../server/db';
import { defineRoute } from '../handler';

const auditQuery = auditFilterSchema.extend({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const listAuditRoute = defineRoute(
  {
    method: 'get',
    path: '/audit',
    summary: 'Audit events, newest first, cursor-paged',
    role: 'viewer',
    query: auditQuery,
    success: { status: 200, description: '{ events, nextCursor }' },
  },
  async ({ ctx, query }) => {
    const { cursor, limit, ...filter } = query;
    const page = await listAuditEvents(db(), ctx, filter, { cursor: cursor ?? null, limit });
    return { events: page.rows, nextCursor: page.nextCursor };
  },
);
