// The catalog: a server's tools with their risk labels and pin state, plus the editor's decisions on them.
import type { Db } from '@portcullis/db/client';
import type { PinState, Prisma, RiskCategory, RiskSeverity } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import {
  approveToolDefinition,
  DefinitionChangedError,
  keepToolBlocked as keepBlocked,
} from '@portcullis/catalog/sync-server-tools';
import {
  checkToolsetNames,
  inToolset,
  TOOL_NAME_PATTERN,
  type ToolOverride,
} from '@portcullis/policy/toolset';
import { z } from 'zod';
import { recordAdminEvent } from '../trail/record';
import { getServer } from '../servers/servers';
import { assertRole, type OrgContext } from '../../server/context';
import { ConflictError, NotFoundError, parseInput, ValidationError } from '../../server/errors';

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
  overrideName: true,
  overrideTitle: true,
  overrideDescription: true,
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
              { overrideName: { contains: filter.q, mode: 'insensitive' } },
              { overrideDescription: { contains: filter.q, mode: 'insensitive' } },
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

/** Blank clears an override (the upstream's own text applies again); an absent field is left as it is. */
const overrideText = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what} must be at most ${max} characters.`)
    .nullable()
    .optional()
    .transform((v) => (v === '' ? null : v));

export const toolOverrideInput = z
  .object({
    overrideName: overrideText(128, 'The name'),
    overrideTitle: overrideText(200, 'The title'),
    overrideDescription: overrideText(4000, 'The description'),
  })
  .strict();
export type ToolOverrideInput = z.input<typeof toolOverrideInput>;

/**
 * What agents see of this tool instead of the upstream's name, title and description (docs/
 * toolsets.md). A name must be a valid MCP tool name, and no other tool of the server may be named
 * or renamed so; nor may it make two tools of a toolset this server is in look alike. The pinned
 * definition and its hashes stay the upstream's: overrides never enter definitionHash.
 */
export async function setToolOverrides(
  db: Db,
  ctx: OrgContext,
  toolId: string,
  raw: ToolOverrideInput,
): Promise<CatalogTool> {
  assertRole(ctx, 'editor');
  const input = parseInput(toolOverrideInput, raw);
  const tool = await findTool(db, ctx, toolId);
  const next = {
    overrideName: input.overrideName === undefined ? tool.overrideName : input.overrideName,
    overrideTitle: input.overrideTitle === undefined ? tool.overrideTitle : input.overrideTitle,
    overrideDescription:
      input.overrideDescription === undefined ? tool.overrideDescription : input.overrideDescription,
  };
  // Renaming a tool to its own upstream name is no override at all.
  if (next.overrideName === tool.name) next.overrideName = null;
  if (next.overrideName !== null && !TOOL_NAME_PATTERN.test(next.overrideName))
    throw new ValidationError(
      `Tool name "${next.overrideName}" is not valid: use 1 to 128 letters, digits, "_", "-" or "."`,
      '/overrideName',
    );
  const updated = await db.$transaction(async (tx) => {
    // One rename at a time per server, so two tools cannot both take a free name at once.
    await tx.$queryRaw`SELECT id FROM mcp_servers WHERE id = ${tool.serverId} FOR UPDATE`;
    if (next.overrideName !== tool.overrideName) await checkOverrideName(tx, tool, next.overrideName);
    const saved = await tx.tool.update({ where: { id: tool.id }, data: next, select: toolSelect });
    await recordAdminEvent(
      tx,
      ctx,
      'tool.override',
      { type: 'tool', id: tool.id },
      {
        name: tool.name,
        serverId: tool.serverId,
        previous: {
          name: tool.overrideName,
          title: tool.overrideTitle,
          description: tool.overrideDescription,
        },
        override: {
          name: next.overrideName,
          title: next.overrideTitle,
          description: next.overrideDescription,
        },
      },
    );
    return saved;
  });
  await notifyChange(db, { type: 'tools', organizationId: ctx.organizationId, serverId: tool.serverId });
  return updated;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** Refuses a new override name another tool of the server has (as its name or its override), naming both. */
async function checkOverrideName(
  tx: Tx,
  tool: { id: string; name: string; serverId: string },
  overrideName: string | null,
): Promise<void> {
  const tools = await tx.tool.findMany({
    where: { serverId: tool.serverId, present: true },
    select: { id: true, name: true, overrideName: true },
  });
  if (overrideName !== null) {
    const taken = tools.find(
      (t) => t.id !== tool.id && (t.name === overrideName || t.overrideName === overrideName),
    );
    if (taken)
      throw new ValidationError(
        taken.name === overrideName
          ? `Tool name "${overrideName}" for ${tool.name} is already the name of ${taken.name} on this server; choose another name`
          : `Tool name "${overrideName}" for ${tool.name} is already used by ${taken.name} (renamed to it) on this server; choose another name`,
        '/overrideName',
      );
  }
  // In a toolset, the name meets its prefix and the toolset's own overrides: only what this change breaks is refused.
  const members = await tx.toolsetMember.findMany({
    where: { serverId: tool.serverId, toolset: { deletedAt: null } },
    select: {
      prefix: true,
      allTools: true,
      tools: true,
      overrides: true,
      toolset: { select: { name: true } },
      server: { select: { name: true } },
    },
  });
  for (const member of members) {
    const names = (renamed: string | null) =>
      checkToolsetNames([
        {
          serverName: member.server.name,
          prefix: member.prefix,
          overrides: (member.overrides ?? {}) as Record<string, ToolOverride>,
          tools: tools
            .filter((t) => inToolset(member, t.name))
            .map((t) => ({ name: t.name, overrideName: t.id === tool.id ? renamed : t.overrideName })),
        },
      ]);
    const before = new Set(names(tools.find((t) => t.id === tool.id)?.overrideName ?? null));
    const added = names(overrideName).find((error) => !before.has(error));
    if (added) throw new ValidationError(`In the toolset ${member.toolset.name}: ${added}`, '/overrideName');
  }
}
