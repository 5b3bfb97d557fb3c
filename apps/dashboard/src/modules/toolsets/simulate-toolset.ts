// "Try a call" on a toolset (issue #26): what the gateway would decide for one tools/call through
// the toolset. The name is routed as the gateway routes it (sessions/toolset-session.ts `route`, then
// calls/tool-naming.ts) and decided by packages/policy's decideToolCall, then narrowDecision: the
// functions the gateway enforces with. Nothing is forwarded and no rate-limit counter is consumed.
import type { Db } from '@portcullis/db/client';
import { decideToolCall } from '@portcullis/policy/decide';
import {
  exposedNameTable,
  narrowDecision,
  outOfScopeDecision,
  splitPrefixed,
  TOOL_NAME_PATTERN,
  TOOLSET_RULE,
  type ToolsetMemberView,
} from '@portcullis/policy/toolset';
import type { Decision } from '@portcullis/policy/types';
import { z } from 'zod';
import { effectiveRisk } from '../catalog/tools';
import { catalogTool } from '../policies/simulate';
import { assertRole, type OrgContext } from '../../server/context';
import { parseInput } from '../../server/errors';
import { activePolicyOf, getToolset } from './toolsets';

/** The most argument JSON a simulated call takes (UTF-8 bytes). */
export const MAX_SIMULATED_ARGUMENTS_BYTES = 64 * 1024;

export const toolsetCallInput = z
  .object({
    name: z
      .string({ error: 'must be the tool name an agent calls, e.g. twikit__get_tweet.' })
      .min(1, 'Enter the tool name an agent calls, e.g. twikit__get_tweet.')
      .max(128, 'A tool name is at most 128 characters.'),
    arguments: z
      .record(z.string(), z.unknown(), { error: 'must be a JSON object, e.g. {"tweet_id": "1"}.' })
      .refine(
        (args) => new TextEncoder().encode(JSON.stringify(args)).length <= MAX_SIMULATED_ARGUMENTS_BYTES,
        'Arguments are larger than 64 KB; try the call with shorter values.',
      )
      .default({}),
  })
  .strict();
export type ToolsetCallInput = z.input<typeof toolsetCallInput>;

export interface ToolsetCallSimulation {
  /** The member server the name's prefix names; null when no member of the toolset has that prefix. */
  serverId: string | null;
  serverName: string | null;
  /** The catalog tool the name calls; null when no catalog tool is called by it. */
  upstreamName: string | null;
  /** What the gateway would decide (audited as is; a `hide` reads to the agent as not available). */
  decision: Decision;
}

// The gateway's own words for the refusals it makes before a member's policy is read.
const notInToolset = (name: string): Decision => ({
  effect: 'hide',
  rule: TOOLSET_RULE,
  reason: `Tool ${name} is not available in this toolset`,
  counters: [],
});
const BAD_TOOL_NAME: Decision = {
  effect: 'deny',
  rule: '(tool name)',
  reason:
    'Invalid tool name: tool names are 1 to 128 characters of A-Z, a-z, 0-9, underscore, hyphen and dot (MCP 2025-11-25)',
  counters: [],
};

/**
 * The upstream tool an exposed name calls, as calls/tool-naming.ts resolves it: a catalog tool
 * answers only to its exposed name (a renamed one not to its upstream name: undefined); a name the
 * catalog does not know passes on unprefixed, for the catalog check to refuse.
 */
function resolveUpstream(
  member: ToolsetMemberView,
  catalog: ReadonlyMap<string, { name: string; overrideName: string | null }>,
  exposed: string,
  rest: string,
): string | undefined {
  const known = exposedNameTable(member, catalog.values()).get(exposed);
  if (known !== undefined) return known;
  return catalog.has(rest) ? undefined : rest;
}

export async function simulateToolsetCall(
  db: Db,
  ctx: OrgContext,
  toolsetId: string,
  exposedName: string,
  args: unknown,
): Promise<ToolsetCallSimulation> {
  assertRole(ctx, 'viewer');
  const input = parseInput(toolsetCallInput, { name: exposedName, arguments: args });
  const toolset = await getToolset(db, ctx, toolsetId);
  // As the gateway's toolset state: a member whose server is not this organization's is left out.
  const servers = await db.mcpServer.findMany({
    where: {
      id: { in: toolset.members.map((m) => m.serverId) },
      organizationId: ctx.organizationId,
      deletedAt: null,
    },
    select: { id: true },
  });
  const own = new Set(servers.map((s) => s.id));
  const byPrefix = new Map(toolset.members.filter((m) => own.has(m.serverId)).map((m) => [m.prefix, m]));
  const routed = splitPrefixed(byPrefix, input.name);
  if (!routed)
    return { serverId: null, serverName: null, upstreamName: null, decision: notInToolset(input.name) };
  const { member, rest } = routed;
  const at = { serverId: member.serverId, serverName: member.serverName };
  if (!TOOL_NAME_PATTERN.test(input.name)) return { ...at, upstreamName: null, decision: BAD_TOOL_NAME };

  const [tools, policy] = await Promise.all([
    // Every catalog row, present or not, as the gateway's server state holds them.
    db.tool.findMany({
      where: { organizationId: ctx.organizationId, serverId: member.serverId },
      select: {
        name: true,
        overrideName: true,
        present: true,
        pinState: true,
        approvedHash: true,
        riskCategory: true,
        riskSeverity: true,
        riskOverrideCategory: true,
        riskOverrideSeverity: true,
      },
    }),
    db.policyVersion.findFirst({
      where: { organizationId: ctx.organizationId, serverId: member.serverId, active: true },
      orderBy: { version: 'desc' },
      select: { version: true, document: true },
    }),
  ]);
  const catalog = new Map(tools.map((t) => [t.name, t]));
  const upstream = resolveUpstream(member, catalog, input.name, rest);
  if (upstream === undefined) return { ...at, upstreamName: null, decision: outOfScopeDecision(input.name) };
  const row = catalog.get(upstream);
  const { active } = activePolicyOf(policy ?? undefined);
  const decision = narrowDecision(
    decideToolCall(active, catalogTool(row && { ...row, category: effectiveRisk(row).category }), {
      tool: upstream,
      args: input.arguments,
    }),
    member,
    upstream,
    input.name,
  );
  return { ...at, upstreamName: row ? upstream : null, decision };
}
