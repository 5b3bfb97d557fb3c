// The admin trail: every mutating action writes one AdminEvent in the same transaction.
import type { Prisma } from '@portcullis/db/types';
import type { OrgContext } from '../../server/context';

interface AdminEventWriter {
  adminEvent: { create(args: { data: Prisma.AdminEventUncheckedCreateInput }): Promise<unknown> };
}

export async function recordAdminEvent(
  tx: AdminEventWriter,
  ctx: Pick<OrgContext, 'organizationId' | 'actor'>,
  action: string,
  target: { type: string; id?: string | null },
  details?: Prisma.InputJsonValue,
): Promise<void> {
  await tx.adminEvent.create({
    data: {
      organizationId: ctx.organizationId,
      actorId: ctx.actor.kind === 'user' ? ctx.actor.id : null,
      actorLabel: ctx.actor.label,
      action,
      targetType: target.type,
      targetId: target.id ?? null,
      details: details ?? undefined,
    },
  });
}
