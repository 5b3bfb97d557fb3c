import { z } from 'zod';
import { decideApproval, listApprovals } from '../../approvals/approvals';
import { db } from '../../../server/db';
import { apiRoute, readJson, readQuery } from '../handler';

const listQuery = z.object({ status: z.enum(['pending', 'approved', 'denied', 'expired', 'consumed']).optional() });

export const listApprovalsRoute = apiRoute('viewer', async ({ ctx, request }) => {
  const query = readQuery(request, listQuery);
  return { approvals: await listApprovals(db(), ctx, query.status) };
});

const decideBody = z.object({ decision: z.enum(['approve', 'deny']), note: z.string().max(1000).optional() }).strict();

export const decideApprovalRoute = apiRoute<{ approvalId: string }>('editor', async ({ ctx, params, request }) => {
  const body = await readJson(request, decideBody);
  return { approval: await decideApproval(db(), ctx, params.approvalId, body.decision, body.note) };
});
