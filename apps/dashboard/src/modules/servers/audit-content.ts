// Whether the audit log keeps a server's (or one tool's) arguments and results in plain text.
// Off by default (arguments as keys and keyed hashes, no result); a tool's own setting wins over
// its server's. Admins decide, and each change is in the admin trail.
import type { Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { NotFoundError } from '../../server/errors';

export type AuditContent = 'redacted' | 'full';
export type ToolAuditContent = AuditContent | 'inherit';

export async function auditContentSettings(db: Db, ctx: OrgContext, serverId: string) {
  const server = await db.mcpServer.findFirst({
    where: { id: serverId, organizationId: ctx.organizationId, deletedAt: null },
    select: { auditArguments: true },
  });
  if (!server) throw new NotFoundError('Server not found');
  const tools = await db.tool.findMany({
    where: { serverId, organizationId: ctx.organizationId, present: true },
    select: { name: true, auditContent: true },
    orderBy: { name: 'asc' },
  });
  return {
    server: (server.auditArguments === 'full' ? 'full' : 'redacted') as AuditContent,
    overrides: tools
      .filter((t) => t.auditContent === 'full' || t.auditContent === 'redacted')
      .map((t) => ({ toolName: t.name, mode: t.auditContent as AuditContent })),
    toolNames: tools.map((t) => t.name),
  };
}

export async function setServerAuditContent(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  mode: AuditContent,
): Promise<void> {
  assertRole(ctx, 'admin');
  await db.$transaction(async (tx) => {
    const server = await tx.mcpServer.findFirst({
      where: { id: serverId, organizationId: ctx.organizationId, deletedAt: null },
      select: { auditArguments: true },
    });
    if (!server) throw new NotFoundError('Server not found');
    await tx.mcpServer.update({ where: { id: serverId }, data: { auditArguments: mode } });
    await recordAdminEvent(
      tx,
      ctx,
      'server.audit_content',
      { type: 'server', id: serverId },
      { from: server.auditArguments, to: mode },
    );
  });
  await notifyChange(db, { type: 'server', organizationId: ctx.organizationId, serverId });
}

export async function setToolAuditContent(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  toolName: string,
  mode: ToolAuditContent,
): Promise<void> {
  assertRole(ctx, 'admin');
  await db.$transaction(async (tx) => {
    const tool = await tx.tool.findFirst({
      where: { serverId, name: toolName, organizationId: ctx.organizationId },
      select: { id: true, auditContent: true },
    });
    if (!tool) throw new NotFoundError(`Tool ${toolName} is not in this server's catalog`);
    await tx.tool.update({
      where: { id: tool.id },
      data: { auditContent: mode === 'inherit' ? null : mode },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'tool.audit_content',
      { type: 'tool', id: tool.id },
      {
        serverId,
        from: tool.auditContent ?? 'server setting',
        to: mode === 'inherit' ? 'server setting' : mode,
      },
    );
  });
  await notifyChange(db, { type: 'server', organizationId: ctx.organizationId, serverId });
}
