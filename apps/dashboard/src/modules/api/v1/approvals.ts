import { z } from 'zod';
import { decideApproval, listApprovals } from '../../approvals/approvals';
import { db } from '../../../server/db';
import { defineRoute } from '../handler';

const listQuery = z.object({
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'consumed']).optional(),
});

export const listApprovalsRoute = defineRoute(
  {
    method: 'get',
    path: '/approvals',
    summary: 'List approvals (arguments: only for editors and above, and only while pending; null otherwise)',
    role: 'viewer',
    query: listQuery,
    success: { status: 200, description: 'Approvals' },
  },
  async ({ ctx, query }) => ({ approvals: await listApprovals(db(), ctx, query.status) }),
);

const decideBody = z
  .object({ decision: z.enum(['approve', 'deny']), note: z.string().max(1000).optional() })
  .strict();

export const decideApprovalRoute = defineRoute(
  {
    method: 'post',
    path: '/approvals/{approvalId}/decide',
    summary: 'Approve or deny a pending call (only once)',
    role: 'editor',
    body: decideBody,
    success: { status: 200, description: 'Decided approval' },
  },
  async ({ ctx, params, body }) => ({
    approval: await decideApproval(db(), ctx, params.approvalId, body.decision, body.note),
  }),
);
