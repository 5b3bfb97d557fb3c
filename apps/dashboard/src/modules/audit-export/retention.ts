// An organization's audit retention: the operator's AUDIT_RETENTION_DAYS is the ceiling (0: kept
// forever), and an admin may choose a shorter period. The gateway's retention job deletes older events
// (apps/gateway/src/ops/audit-retention.ts); this only records the choice.
import type { Db } from '@portcullis/db/client';
import { env } from '../../env';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { ValidationError } from '../../server/errors';

export interface Retention {
  /** The operator's period in days; null: kept forever. */
  operatorDays: number | null;
  /** The organization's own shorter period; null: the operator's. */
  organizationDays: number | null;
  /** What applies. */
  effectiveDays: number | null;
}

export async function getRetention(db: Db, ctx: OrgContext): Promise<Retention> {
  const operator = env().AUDIT_RETENTION_DAYS || null;
  const org = await db.organization.findUniqueOrThrow({
    where: { id: ctx.organizationId },
    select: { auditRetentionDays: true },
  });
  const own = org.auditRetentionDays;
  const effective = own === null ? operator : operator === null ? own : Math.min(own, operator);
  return { operatorDays: operator, organizationDays: own, effectiveDays: effective };
}

/** Sets (a whole number of days, 1 up to the operator's period) or clears (null) the organization's period. */
export async function setRetention(db: Db, ctx: OrgContext, days: number | null): Promise<Retention> {
  assertRole(ctx, 'admin');
  const operator = env().AUDIT_RETENTION_DAYS || null;
  if (days !== null) {
    if (!Number.isInteger(days) || days < 1)
      throw new ValidationError('Enter a whole number of days, at least 1.', '/days');
    if (operator !== null && days > operator)
      throw new ValidationError(
        `This deployment keeps audit events at most ${operator} days; choose ${operator} or fewer.`,
        '/days',
      );
    if (days > 36_500) throw new ValidationError('Choose at most 36500 days.', '/days');
  }
  await db.$transaction(async (tx) => {
    await tx.organization.update({ where: { id: ctx.organizationId }, data: { auditRetentionDays: days } });
    await recordAdminEvent(
      tx,
      ctx,
      'organization.audit_retention',
      { type: 'organization', id: ctx.organizationId },
      { days },
    );
  });
  return getRetention(db, ctx);
}
