// Approval queue: calls the gateway holds until a person decides. Deciding is a conditional update,
// so two people (or a person and the expiry) can never both win.
import type { Db } from '@portcullis/db/client';
import type { ApprovalStatus, Prisma } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import { recordAdminEvent } from '../trail/record';
import { actorUserId, assertRole, type OrgContext } from '../../server/context';
import { ConflictError, NotFoundError } from '../../server/errors';
import { roleAtLeast } from '../../server/roles';

export const approvalSelect = {
  id: true,
  toolName: true,
  arguments: true,
  status: true,
  ruleId: true,
  note: true,
  decidedByLabel: true,
  decidedAt: true,
  expiresAt: true,
  createdAt: true,
  serverId: true,
  grant: { select: { id: true, name: true, tokenPrefix: true } },
  server: { select: { name: true } },
} satisfies Prisma.ApprovalSelect;
export type ApprovalView = Prisma.ApprovalGetPayload<{ select: typeof approvalSelect }>;

/**
 * Full arguments are for the people who may decide: viewers get null. (Decided, expired and consumed
 * rows have none at all: a database trigger clears them when the status leaves pending.)
 */
function withArgumentsFor(ctx: OrgContext, rows: ApprovalView[]): ApprovalView[] {
  if (roleAtLeast(ctx.role, 'editor')) return rows;
  return rows.map((row) => ({ ...row, arguments: null }));
}

/** Pending rows past their expiry whose gateway never closed them (crashed, restarted) expire here. */
async function expireStaleApprovals(db: Db, ctx: OrgContext): Promise<void> {
  await db.approval.updateMany({
    where: { organizationId: ctx.organizationId, status: 'pending', expiresAt: { lte: new Date() } },
    data: { status: 'expired', note: 'timed out' },
  });
}

export async function listPendingApprovals(db: Db, ctx: OrgContext): Promise<ApprovalView[]> {
  const rows = await db.approval.findMany({
    where: { organizationId: ctx.organizationId, status: 'pending', expiresAt: { gt: new Date() } },
    select: approvalSelect,
    orderBy: { createdAt: 'asc' },
    take: 200,
  });
  return withArgumentsFor(ctx, rows);
}

export interface ApprovalRun {
  upstreamOutcome: string;
  upstreamError: string | null;
  createdAt: Date;
}

/** Decided approvals, each with the audit row of the call it let through (null: none ran). */
export async function listApprovalHistory(
  db: Db,
  ctx: OrgContext,
  take = 50,
): Promise<Array<ApprovalView & { run: ApprovalRun | null }>> {
  await expireStaleApprovals(db, ctx);
  const rows = await db.approval.findMany({
    where: { organizationId: ctx.organizationId, status: { not: 'pending' } },
    select: approvalSelect,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(take, 500),
  });
  // The forwarded call is the approval's one row that was sent upstream (held and handed-back rows were not).
  const runs = await db.auditEvent.findMany({
    where: {
      organizationId: ctx.organizationId,
      approvalId: { in: rows.map((r) => r.id) },
      upstreamOutcome: { not: 'not_sent' },
    },
    select: { approvalId: true, upstreamOutcome: true, upstreamError: true, createdAt: true },
  });
  const runOf = new Map(runs.map((r) => [r.approvalId, r]));
  return withArgumentsFor(ctx, rows).map((row) => {
    const run = runOf.get(row.id);
    return {
      ...row,
      run: run
        ? { upstreamOutcome: run.upstreamOutcome, upstreamError: run.upstreamError, createdAt: run.createdAt }
        : null,
    };
  });
}

/** How many calls wait for a person: the navigation's count. */
export async function countPendingApprovals(db: Db, ctx: OrgContext): Promise<number> {
  return db.approval.count({
    where: { organizationId: ctx.organizationId, status: 'pending', expiresAt: { gt: new Date() } },
  });
}

export async function listApprovals(
  db: Db,
  ctx: OrgContext,
  status?: ApprovalStatus,
  take = 100,
): Promise<ApprovalView[]> {
  await expireStaleApprovals(db, ctx);
  const rows = await db.approval.findMany({
    where: { organizationId: ctx.organizationId, status },
    select: approvalSelect,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(take, 500),
  });
  return withArgumentsFor(ctx, rows);
}

/**
 * How long a decision stands: an approval lets one identical call through within this time (the
 * agent was told to call again), and a denial answers identical calls instead of asking again.
 */
export const DECISION_VALID_MS = 15 * 60_000;

export async function decideApproval(
  db: Db,
  ctx: OrgContext,
  approvalId: string,
  decision: 'approve' | 'deny',
  note?: string | null,
): Promise<ApprovalView> {
  assertRole(ctx, 'editor');
  const status = decision === 'approve' ? 'approved' : 'denied';
  const now = new Date();
  const decided = await db.$transaction(async (tx) => {
    const { count } = await tx.approval.updateMany({
      where: {
        id: approvalId,
        organizationId: ctx.organizationId,
        status: 'pending',
        expiresAt: { gt: now },
      },
      data: {
        status,
        decidedAt: now,
        decidedById: actorUserId(ctx),
        decidedByLabel: ctx.actor.label,
        note: note?.trim().slice(0, 1000) || null,
        expiresAt: new Date(now.getTime() + DECISION_VALID_MS),
      },
    });
    if (count === 0) {
      const existing = await tx.approval.findFirst({
        where: { id: approvalId, organizationId: ctx.organizationId },
        select: { status: true, expiresAt: true },
      });
      if (!existing) throw new NotFoundError('Approval not found');
      const state = existing.status === 'pending' ? 'expired' : existing.status;
      throw new ConflictError(`This approval was already ${state}; nothing changed.`);
    }
    const row = await tx.approval.findUniqueOrThrow({ where: { id: approvalId }, select: approvalSelect });
    await recordAdminEvent(
      tx,
      ctx,
      `approval.${status}`,
      { type: 'approval', id: approvalId },
      {
        toolName: row.toolName,
        grantId: row.grant.id,
        note: row.note,
      },
    );
    return row;
  });
  await notifyChange(db, { type: 'approval', organizationId: ctx.organizationId, approvalId });
  return decided;
}
