// Toolsets (docs/toolsets.md): an organization's named list of its servers behind one grant URL,
// each with a prefix and optionally a subset of its tools. The name rules are packages/policy's
// (toolset.ts); this module checks a save against the catalog and writes it in one transaction.
import type { Db } from '@portcullis/db/client';
import type { Prisma } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import { decideToolCall, PRE_POLICY_RULES, type ActivePolicy } from '@portcullis/policy/decide';
import {
  checkToolsetNames,
  defaultPrefix,
  exposedName,
  inToolset,
  narrowDecision,
  TOOL_NAME_PATTERN,
  TOOLSET_RULE,
  type ToolOverride,
  type ToolsetMemberView,
} from '@portcullis/policy/toolset';
import type { DecisionEffect } from '@portcullis/policy/types';
import { z } from 'zod';
import { compileActivePolicy, toolEffect, type ToolEffect } from '../catalog/policy-effect';
import { effectiveRisk } from '../catalog/tools';
import { catalogTool } from '../policies/simulate';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { ConflictError, NotFoundError, parseInput, ValidationError } from '../../server/errors';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

const overrideField = (max: number, what: string) =>
  z.string().trim().max(max, `${what} must be at most ${max} characters.`).nullable().optional();

/** What agents see instead of an upstream tool's name, title or description; empty means "not overridden". */
export const toolOverrideInput = z
  .object({
    name: overrideField(128, 'An override name'),
    title: overrideField(200, 'An override title'),
    description: overrideField(4_000, 'An override description'),
  })
  .strict();

export const toolsetMemberInput = z
  .object({
    serverId: z.string().trim().min(1, 'Choose a server.').max(200, 'is not a server id.'),
    /** Defaults to the server's name as a slug (`Twikit (prod)` → `twikit-prod`). */
    prefix: z.string().trim().max(100, 'A prefix is at most 32 characters.').optional(),
    /** Defaults to true, or to false when `tools` is given. */
    allTools: z.boolean().optional(),
    /** The subset of the server's tools (upstream names) in the toolset, with `allTools` false. */
    tools: z.array(z.string().max(200, 'is not a tool name.')).max(2_000).optional(),
    /** By upstream tool name. */
    overrides: z.record(z.string().max(200), toolOverrideInput).optional(),
  })
  .strict();

export const toolsetInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Enter a toolset name.')
      .max(100, 'Toolset name must be at most 100 characters.'),
    description: z
      .string()
      .trim()
      .max(1_000, 'Description must be at most 1000 characters.')
      .nullable()
      .optional(),
    members: z
      .array(toolsetMemberInput)
      .min(1, 'Add at least one server.')
      .max(50, 'A toolset has at most 50 servers.'),
  })
  .strict();
export type ToolsetInput = z.input<typeof toolsetInput>;

/** An update: what is left out stays as it is (members are replaced as a whole when given). */
export const toolsetPatch = toolsetInput.partial();
export type ToolsetPatch = z.input<typeof toolsetPatch>;

const toolsetSelect = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  updatedAt: true,
  members: {
    orderBy: [{ position: 'asc' }, { prefix: 'asc' }],
    select: {
      serverId: true,
      prefix: true,
      allTools: true,
      tools: true,
      overrides: true,
      server: { select: { name: true, deletedAt: true } },
    },
  },
  _count: { select: { grants: { where: { revokedAt: null } } } },
} satisfies Prisma.ToolsetSelect;
type ToolsetRow = Prisma.ToolsetGetPayload<{ select: typeof toolsetSelect }>;

export interface ToolsetView {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Grants not revoked (some may have expired). */
  activeGrants: number;
  /** In order; a deleted server's membership is left out, as the gateway leaves it out. */
  members: ToolsetMemberView[];
}

/**
 * An empty overrides map without a prototype: looked up by upstream tool name, and an upstream may
 * name a tool `constructor` or `__proto__`.
 */
function noOverrides(): Record<string, ToolOverride> {
  return Object.create(null) as Record<string, ToolOverride>;
}

/** The stored overrides JSON as typed overrides (this module wrote it; anything else is dropped). */
function overridesOf(value: Prisma.JsonValue): Record<string, ToolOverride> {
  const out = noOverrides();
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [tool, raw] of Object.entries(value)) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) continue;
    const entry: ToolOverride = {};
    for (const field of ['name', 'title', 'description'] as const) {
      const text = (raw as Record<string, unknown>)[field];
      if (typeof text === 'string' && text !== '') entry[field] = text;
    }
    out[tool] = entry;
  }
  return out;
}

function toView(row: ToolsetRow): ToolsetView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    activeGrants: row._count.grants,
    members: row.members
      .filter((m) => !m.server.deletedAt)
      .map((m) => ({
        serverId: m.serverId,
        serverName: m.server.name,
        prefix: m.prefix,
        allTools: m.allTools,
        tools: m.tools,
        overrides: overridesOf(m.overrides),
      })),
  };
}

export async function listToolsets(db: Db, ctx: OrgContext): Promise<ToolsetView[]> {
  const rows = await db.toolset.findMany({
    where: { organizationId: ctx.organizationId, deletedAt: null },
    select: toolsetSelect,
    orderBy: { name: 'asc' },
  });
  return rows.map(toView);
}

async function findToolset(db: Db | Tx, ctx: OrgContext, toolsetId: string): Promise<ToolsetView> {
  const row = await db.toolset.findFirst({
    where: { id: toolsetId, organizationId: ctx.organizationId, deletedAt: null },
    select: toolsetSelect,
  });
  if (!row) throw new NotFoundError('Toolset not found');
  return toView(row);
}

export async function getToolset(db: Db, ctx: OrgContext, toolsetId: string): Promise<ToolsetView> {
  return findToolset(db, ctx, toolsetId);
}

/** A member as it is stored. */
interface ResolvedMember {
  serverId: string;
  serverName: string;
  prefix: string;
  allTools: boolean;
  tools: string[];
  overrides: Record<string, ToolOverride>;
}

function quoted(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/**
 * Checks the members against this organization's servers and catalogs and the toolset name rules
 * (checkToolsetNames); every problem is reported at once. Another organization's server reads
 * exactly like one that does not exist.
 */
async function resolveMembers(
  tx: Tx,
  ctx: OrgContext,
  members: z.infer<typeof toolsetInput>['members'],
): Promise<ResolvedMember[]> {
  const ids = [...new Set(members.map((m) => m.serverId))];
  const [servers, tools] = await Promise.all([
    tx.mcpServer.findMany({
      where: { id: { in: ids }, organizationId: ctx.organizationId, deletedAt: null },
      select: { id: true, name: true, resourceUris: true },
    }),
    tx.tool.findMany({
      where: { serverId: { in: ids }, organizationId: ctx.organizationId, present: true },
      select: { serverId: true, name: true, overrideName: true },
    }),
  ]);
  const serverById = new Map(servers.map((s) => [s.id, s]));
  const catalog = new Map<string, Map<string, { name: string; overrideName: string | null }>>();
  for (const t of tools) {
    const byName = catalog.get(t.serverId) ?? new Map();
    byName.set(t.name, t);
    catalog.set(t.serverId, byName);
  }
  const problems: Array<{ pointer: string; message: string }> = [];
  const problem = (pointer: string, message: string) =>
    problems.push({ pointer, message: `${pointer.slice(1)}: ${message}` });
  const seen = new Map<string, number>();
  const resolved: ResolvedMember[] = [];
  members.forEach((m, i) => {
    const at = `/members/${i}`;
    const server = serverById.get(m.serverId);
    if (!server) {
      problem(`${at}/serverId`, 'no server with this id in this organization (it may have been deleted).');
      return;
    }
    const earlier = seen.get(server.id);
    if (earlier !== undefined) {
      problem(
        `${at}/serverId`,
        `${server.name} is already member ${earlier + 1} of this toolset; a server can be in a toolset once.`,
      );
      return;
    }
    seen.set(server.id, i);
    const own = catalog.get(server.id) ?? new Map<string, { name: string; overrideName: string | null }>();
    const allTools = m.allTools ?? m.tools === undefined;
    const subset = [...new Set(m.tools ?? [])];
    if (allTools && subset.length > 0)
      problem(
        `${at}/tools`,
        `${server.name} has allTools set; name tools only for a subset (allTools false).`,
      );
    const unknown = subset.filter((name) => !own.has(name));
    if (unknown.length > 0)
      problem(
        `${at}/tools`,
        `${server.name} has no tool ${quoted(unknown)} in its catalog (sync the server if the tool is new).`,
      );
    const overrides = noOverrides();
    const unknownOverrides: string[] = [];
    for (const [tool, raw] of Object.entries(m.overrides ?? {})) {
      if (!own.has(tool)) {
        unknownOverrides.push(tool);
        continue;
      }
      const entry: ToolOverride = {};
      if (raw.name) {
        if (TOOL_NAME_PATTERN.test(raw.name)) entry.name = raw.name;
        else
          problem(
            `${at}/overrides/${tool}/name`,
            `"${raw.name}" is not a valid tool name: use 1 to 128 letters, digits, "_", "-" or ".".`,
          );
      }
      if (raw.title) entry.title = raw.title;
      if (raw.description) entry.description = raw.description;
      if (Object.keys(entry).length > 0) overrides[tool] = entry;
    }
    if (unknownOverrides.length > 0)
      problem(
        `${at}/overrides`,
        `${server.name} has no tool ${quoted(unknownOverrides)} in its catalog to override.`,
      );
    resolved.push({
      serverId: server.id,
      serverName: server.name,
      prefix: m.prefix || defaultPrefix(server.name),
      allTools,
      tools: allTools ? [] : subset,
      overrides,
    });
  });
  if (problems.length > 0)
    throw new ValidationError(
      `Toolset not saved: ${problems.map((p) => p.message).join('; ')}`,
      problems[0]!.pointer,
    );
  const nameErrors = checkToolsetNames(
    resolved.map((m) => ({
      serverName: m.serverName,
      prefix: m.prefix,
      overrides: m.overrides,
      tools: [...(catalog.get(m.serverId)?.values() ?? [])].filter((t) => inToolset(m, t.name)),
      // The catalog does not record prompts; the gateway checks their names when it lists them.
      prompts: [],
      resourceUris: serverById.get(m.serverId)!.resourceUris,
    })),
  );
  if (nameErrors.length > 0)
    throw new ValidationError(`Toolset not saved: ${nameErrors.join('; ')}`, '/members');
  return resolved;
}

function memberRows(ctx: OrgContext, toolsetId: string, members: ResolvedMember[]) {
  return members.map((m, position) => ({
    organizationId: ctx.organizationId,
    toolsetId,
    serverId: m.serverId,
    prefix: m.prefix,
    allTools: m.allTools,
    tools: m.tools,
    overrides: m.overrides as Prisma.InputJsonValue,
    position,
  }));
}

/** The admin trail's account of a save (ids become names there). */
function trailDetails(name: string, members: ResolvedMember[]): Prisma.InputJsonValue {
  return {
    name,
    members: members.map((m) => ({
      serverId: m.serverId,
      prefix: m.prefix,
      tools: m.allTools ? 'all' : m.tools.slice(0, 100),
      ...(Object.keys(m.overrides).length ? { overrides: Object.keys(m.overrides).slice(0, 100) } : {}),
    })),
  };
}

function nameTaken(error: unknown, name: string): never {
  if ((error as { code?: string }).code === 'P2002')
    throw new ConflictError(`A toolset named "${name}" already exists.`, '/name');
  throw error;
}

export async function createToolset(db: Db, ctx: OrgContext, raw: ToolsetInput): Promise<ToolsetView> {
  assertRole(ctx, 'editor');
  const input = parseInput(toolsetInput, raw);
  const id = await db
    .$transaction(async (tx) => {
      const members = await resolveMembers(tx, ctx, input.members);
      const created = await tx.toolset.create({
        data: {
          organizationId: ctx.organizationId,
          name: input.name,
          description: input.description || null,
        },
        select: { id: true },
      });
      await tx.toolsetMember.createMany({ data: memberRows(ctx, created.id, members) });
      await recordAdminEvent(
        tx,
        ctx,
        'toolset.create',
        { type: 'toolset', id: created.id },
        trailDetails(input.name, members),
      );
      return created.id;
    })
    .catch((error: unknown) => nameTaken(error, input.name));
  await notifyChange(db, { type: 'toolset', organizationId: ctx.organizationId, toolsetId: id });
  return getToolset(db, ctx, id);
}

export async function updateToolset(
  db: Db,
  ctx: OrgContext,
  toolsetId: string,
  raw: ToolsetPatch,
): Promise<ToolsetView> {
  assertRole(ctx, 'editor');
  const patch = parseInput(toolsetPatch, raw);
  await db
    .$transaction(async (tx) => {
      // Serializes saves of one toolset: members are replaced as a whole.
      await tx.$queryRaw`SELECT id FROM toolsets WHERE id = ${toolsetId} AND "organizationId" = ${ctx.organizationId} FOR UPDATE`;
      const current = await findToolset(tx, ctx, toolsetId);
      const name = patch.name ?? current.name;
      const members = patch.members ? await resolveMembers(tx, ctx, patch.members) : undefined;
      await tx.toolset.update({
        where: { id: current.id },
        data: {
          name,
          ...(patch.description !== undefined ? { description: patch.description || null } : {}),
        },
      });
      if (members) {
        await tx.toolsetMember.deleteMany({ where: { toolsetId: current.id } });
        await tx.toolsetMember.createMany({ data: memberRows(ctx, current.id, members) });
      }
      await recordAdminEvent(
        tx,
        ctx,
        'toolset.update',
        { type: 'toolset', id: current.id },
        members
          ? trailDetails(name, members)
          : { name, ...(name !== current.name ? { previous: current.name } : {}) },
      );
    })
    .catch((error: unknown) => nameTaken(error, patch.name ?? ''));
  await notifyChange(db, { type: 'toolset', organizationId: ctx.organizationId, toolsetId });
  return getToolset(db, ctx, toolsetId);
}

/** Soft delete: the row stays for the audit log; its grants are revoked with it. */
export async function deleteToolset(
  db: Db,
  ctx: OrgContext,
  toolsetId: string,
): Promise<{ revokedGrants: number }> {
  assertRole(ctx, 'editor');
  const toolset = await getToolset(db, ctx, toolsetId);
  const revoked = await db.$transaction(async (tx) => {
    const now = new Date();
    // Frees the name for a new toolset; a delete that lost a race to another finds nothing to do.
    const { count } = await tx.toolset.updateMany({
      where: { id: toolset.id, organizationId: ctx.organizationId, deletedAt: null },
      data: { deletedAt: now, name: `${toolset.name} (deleted ${toolset.id})` },
    });
    if (count === 0) throw new NotFoundError('Toolset not found');
    const grants = await tx.grant.findMany({
      where: { toolsetId: toolset.id, organizationId: ctx.organizationId, revokedAt: null },
      select: { id: true },
    });
    const grantIds = grants.map((g) => g.id);
    await tx.grant.updateMany({ where: { id: { in: grantIds } }, data: { revokedAt: now } });
    // As revokeGrant: pending approvals of a revoked grant can never be used, and its OAuth tokens go with it.
    await tx.approval.updateMany({
      where: { grantId: { in: grantIds }, status: 'pending' },
      data: { status: 'expired' },
    });
    await tx.oAuthToken.updateMany({
      where: { grantId: { in: grantIds }, revokedAt: null },
      data: { revokedAt: now },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'toolset.delete',
      { type: 'toolset', id: toolset.id },
      { name: toolset.name, revokedGrants: grantIds.length },
    );
    return grantIds;
  });
  await notifyChange(db, { type: 'toolset', organizationId: ctx.organizationId, toolsetId: toolset.id });
  for (const grantId of revoked)
    await notifyChange(db, { type: 'grant', organizationId: ctx.organizationId, grantId });
  return { revokedGrants: revoked.length };
}

/** One catalog tool of one member, as agents of the toolset meet it. */
export interface EffectiveTool {
  serverId: string;
  serverName: string;
  prefix: string;
  upstreamName: string;
  /** `<prefix>__<name>`: the toolset's override, else the server's, else the upstream's name. */
  exposedName: string;
  /** The upstream's own definition text (what pinning compares). */
  upstream: { title: string | null; description: string | null };
  /** The server-level override (Tool.override*), applied on the plain server and here. */
  serverOverride: ToolOverride;
  /** This toolset's own override of the tool. */
  toolsetOverride: ToolOverride;
  /** What agents of the toolset read: the toolset's override, else the server's, else the upstream's. */
  shown: { title: string | null; description: string | null };
  /** In the member's subset (always, with all tools). */
  inSubset: boolean;
  /** The server's active policy on the tool, exactly as the catalog shows it. */
  policy: ToolEffect;
  /** A call with no arguments through the toolset: the server's decision (pinning included), narrowed by the toolset. */
  decision: { effect: DecisionEffect; rule: string; reason?: string };
}

/** The active version as packages/policy's decisions take it, compiled as the catalog compiles it. */
export function activePolicyOf(row: { version: number; document: unknown } | undefined) {
  if (!row) return { active: null, compiled: null };
  const compiled = compileActivePolicy(row.document);
  const active: ActivePolicy = compiled
    ? { ok: true, version: row.version, compiled }
    : { ok: false, version: row.version, error: 'it no longer validates; save a new version' };
  return { active, compiled };
}

export async function effectiveTools(db: Db, ctx: OrgContext, toolsetId: string): Promise<EffectiveTool[]> {
  const toolset = await getToolset(db, ctx, toolsetId);
  const serverIds = toolset.members.map((m) => m.serverId);
  const [tools, policies] = await Promise.all([
    db.tool.findMany({
      where: { organizationId: ctx.organizationId, serverId: { in: serverIds }, present: true },
      select: {
        serverId: true,
        name: true,
        title: true,
        description: true,
        overrideName: true,
        overrideTitle: true,
        overrideDescription: true,
        present: true,
        pinState: true,
        approvedHash: true,
        riskCategory: true,
        riskSeverity: true,
        riskOverrideCategory: true,
        riskOverrideSeverity: true,
      },
      orderBy: { name: 'asc' },
    }),
    db.policyVersion.findMany({
      where: { organizationId: ctx.organizationId, serverId: { in: serverIds }, active: true },
      select: { serverId: true, version: true, document: true },
    }),
  ]);
  const policyOf = new Map(policies.map((p) => [p.serverId, p]));
  const out: EffectiveTool[] = [];
  for (const member of toolset.members) {
    const { active, compiled } = activePolicyOf(policyOf.get(member.serverId));
    for (const tool of tools.filter((t) => t.serverId === member.serverId)) {
      const category = effectiveRisk(tool).category;
      const exposed = exposedName(member, tool.name, tool.overrideName);
      const decision = narrowDecision(
        decideToolCall(active, catalogTool({ ...tool, category }), { tool: tool.name, args: {} }),
        member,
        tool.name,
        exposed,
      );
      const own = Object.hasOwn(member.overrides, tool.name) ? member.overrides[tool.name]! : {};
      out.push({
        serverId: member.serverId,
        serverName: member.serverName,
        prefix: member.prefix,
        upstreamName: tool.name,
        exposedName: exposed,
        upstream: { title: tool.title, description: tool.description },
        serverOverride: {
          ...(tool.overrideName ? { name: tool.overrideName } : {}),
          ...(tool.overrideTitle ? { title: tool.overrideTitle } : {}),
          ...(tool.overrideDescription ? { description: tool.overrideDescription } : {}),
        },
        toolsetOverride: own,
        shown: {
          title: own.title ?? tool.overrideTitle ?? tool.title,
          description: own.description ?? tool.overrideDescription ?? tool.description,
        },
        inSubset: inToolset(member, tool.name),
        policy: toolEffect(compiled, { name: tool.name, category }),
        decision: {
          effect: decision.effect,
          rule: decision.rule,
          ...(decision.reason ? { reason: decision.reason } : {}),
        },
      });
    }
  }
  return out;
}

/** The effective decision in words: the toolset's narrowing and refusals before the policy, else the catalog's label. */
export function describeEffect(tool: Pick<EffectiveTool, 'decision' | 'policy'>): {
  effect: DecisionEffect;
  label: string;
} {
  if (tool.decision.rule === TOOLSET_RULE) return { effect: 'hide', label: 'Hidden: not in this toolset' };
  const prePolicy: string[] = Object.values(PRE_POLICY_RULES);
  if (prePolicy.includes(tool.decision.rule))
    return { effect: tool.decision.effect, label: tool.decision.reason ?? 'Denied' };
  return { effect: tool.decision.effect, label: tool.policy.label };
}

/** Every present tool of the organization's servers, by server: what the editor offers for subsets and overrides. */
export async function toolChoices(
  db: Db,
  ctx: OrgContext,
): Promise<
  Map<
    string,
    Array<{ name: string; title: string | null; description: string | null; overrideName: string | null }>
  >
> {
  const tools = await db.tool.findMany({
    where: { organizationId: ctx.organizationId, present: true, server: { deletedAt: null } },
    select: { serverId: true, name: true, title: true, description: true, overrideName: true },
    orderBy: { name: 'asc' },
  });
  const out = new Map<
    string,
    Array<{ name: string; title: string | null; description: string | null; overrideName: string | null }>
  >();
  for (const { serverId, ...tool } of tools) out.set(serverId, [...(out.get(serverId) ?? []), tool]);
  return out;
}
