// The catalog: a server's tools with their risk labels and pin state, plus the editor's decisions on them.
import type { Db } from '@portcullis/db/client';
import type { PinState, Prisma, RiskCategory, RiskSeverity } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import {
  approveToolDefinition,
  DefinitionChangedError,
  keepToolBlocked as keepBlocked,
} from '@portcullis/catalog/sync-server-tools';
import { recordAdminEvent } from '../trail/record';
import { getServer } from '../servers/servers';
import { assertRole, type OrgContext } from '../../server/context';
import { ConflictError, NotFoundError, ValidationError } from '../../server/errors';

export interface ToolFilter {
  q?: string;
  category?: RiskCategory;
  severity?: RiskSeverity;
  pin?: PinState;
}

export const toolSelect = {
  id: true,
  serverId: true,
  name: true,
  title: true,
  description: true,
  inputSchema: true,
  annotations: true,
  pinState: true,
  definitionHash: true,
  approvedDefinition: true,
  riskCategory: true,
  riskSeverity: true,
  riskWhy: true,
  riskOverrideCategory: true,
  riskOverrideSeverity: true,
  present: true,
  injectionFlags: true,
  updatedAt: true,
} satisfies Prisma.ToolSelect;
export type CatalogTool = Prisma.ToolGetPayload<{ select: typeof toolSelect }>;

/** The label in force: an editor's override, else the classifier's. */
export function effectiveRisk(
  tool: Pick<CatalogTool, 'riskCategory' | 'riskSeverity' | 'riskOverrideCategory' | 'riskOverrideSeverity'>,
) {
  return {
    category: tool.riskOverrideCategory ?? tool.riskCategory,
    severity: tool.riskOverrideSeverity ?? tool.riskSeverity,
  };
}

export async function listTools(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  filter: ToolFilter = {},
): Promise<CatalogTool[]> {
  await getServer(db, ctx, serverId);
  const tools = await db.tool.findMany({
    where: {
      organizationId: ctx.organizationId,
      serverId,
      present: true,
      pinState: filter.pin,
      ...(filter.q
        ? {
            OR: [
              { name: { contains: filter.q, mode: 'insensitive' } },
              { description: { contains: filter.q, mode: 'insensitive' } },
            ],
          }
        : {}),
    },
    select: toolSelect,
    orderBy: { name: 'asc' },
  });
  return tools.filter((t) => {
    const risk = effectiveRisk(t);
    return (
      (!filter.category || risk.category === filter.category) &&
      (!filter.severity || risk.severity === filter.severity)
    );
  });
}

async function findTool(db: Db, ctx: OrgContext, toolId: string) {
  const tool = await db.tool.findFirst({
    where: { id: toolId, organizationId: ctx.organizationId, server: { deletedAt: null } },
  });
  if (!tool) throw new NotFoundError('Tool not found');
  return tool;
}

/**
 * Accepts the tool's current (changed or new) definition as the pinned one: exactly the definition
 * the editor reviewed (`definitionHash`, sent with the form), never one that arrived since.
 */
export async function approveToolChange(
  db: Db,
  ctx: OrgContext,
  toolId: string,
  definitionHash: string,
): Promise<void> {
  assertRole(ctx, 'editor');
  if (!/^[0-9a-f]{64}$/.test(definitionHash))
    throw new ValidationError(
      'The reviewed definition is missing from the request (definitionHash); reload the page and review again.',
      'definitionHash',
    );
  const tool = await findTool(db, ctx, toolId);
  try {
    await approveToolDefinition(db, {
      organizationId: ctx.organizationId,
      serverId: tool.serverId,
      toolId: tool.id,
      definitionHash,
    });
  } catch (error) {
    if (error instanceof DefinitionChangedError) throw new ConflictError(error.message);
    throw error;
  }
  await recordAdminEvent(
    db,
    ctx,
    'tool.approve',
    { type: 'tool', id: tool.id },
    { name: tool.name, serverId: tool.serverId, hash: definitionHash },
  );
}

export async function keepToolBlocked(db: Db, ctx: OrgContext, toolId: string): Promise<void> {
  assertRole(ctx, 'editor');
  const tool = await findTool(db, ctx, toolId);
  await keepBlocked(db, { organizationId: ctx.organizationId, serverId: tool.serverId, toolId: tool.id });
  await recordAdminEvent(
    db,
    ctx,
    'tool.keep_blocked',
    { type: 'tool', id: tool.id },
    { name: tool.name, serverId: tool.serverId, hash: tool.definitionHash },
  );
}

/** null clears the override and the classifier's label applies again. */
export async function overrideToolRisk(
  db: Db,
  ctx: OrgContext,
  toolId: string,
  override: { category: RiskCategory; severity: RiskSeverity } | null,
): Promise<void> {
  assertRole(ctx, 'editor');
  const tool = await findTool(db, ctx, toolId);
  await db.$transaction(async (tx) => {
    await tx.tool.update({
      where: { id: tool.id },
      data: {
        riskOverrideCategory: override?.category ?? null,
        riskOverrideSeverity: override?.severity ?? null,
      },
    });
    await recordAdminEvent(
      tx,
      ctx,
      override ? 'tool.risk_override' : 'tool.risk_reset',
      { type: 'tool', id: tool.id },
      {
        name: tool.name,
        serverId: tool.serverId,
        classifier: { category: tool.riskCategory, severity: tool.riskSeverity },
        previous: { category: tool.riskOverrideCategory, severity: tool.riskOverrideSeverity },
        override: override ?? null,
      },
    );
  });
  await notifyChange(db, { type: 'tools', organizationId: ctx.organizationId, serverId: tool.serverId });
}
