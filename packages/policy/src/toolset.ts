// Toolsets (docs/toolsets.md): one endpoint over several servers. The names agents see, how a name
// routes back to its server and upstream tool, and how a toolset narrows what a server's policy
// allows. Pure: the gateway (enforcement), the dashboard (save-time checks, catalog and simulator)
// and the tests all call these.
import { notAvailableReason } from './decide.ts';
import type { Decision } from './types.ts';

/** Between a member's prefix and the tool's (or prompt's) own name: `twikit__leave_community`. */
export const PREFIX_SEPARATOR = '__';

/** Lower-case letters, digits, `-` and single `_`; no `__` (the separator), at most 32 characters. */
export const PREFIX_PATTERN = /^(?!.*__)[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])?$/;

/** MCP's tool-name rule (2025-11-25): 1 to 128 of A-Z a-z 0-9 _ - . */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** The rule name a toolset's refusals are audited under. */
export const TOOLSET_RULE = '(toolset)';
/** …and a plain server's call by a tool's upstream name after an override renamed it. */
export const RENAMED_RULE = '(renamed)';

export interface ToolOverride {
  /** Replaces the upstream's name (after the prefix, in a toolset). */
  name?: string;
  title?: string;
  description?: string;
}

/** One server of a toolset, as routing and narrowing need it. */
export interface ToolsetMemberView {
  serverId: string;
  /** The server's name, for messages. */
  serverName: string;
  prefix: string;
  /** false: only `tools` are in the toolset. */
  allTools: boolean;
  tools: readonly string[];
  /** By upstream tool name: what agents see in this toolset instead. */
  overrides: Readonly<Record<string, ToolOverride>>;
}

/**
 * The toolset's override of one tool: an own property only (a tool named `constructor` or
 * `__proto__` must not find Object.prototype's).
 */
export function overrideOf(
  member: Pick<ToolsetMemberView, 'overrides'>,
  upstreamName: string,
): ToolOverride | undefined {
  return Object.hasOwn(member.overrides, upstreamName) ? member.overrides[upstreamName] : undefined;
}

/** A server's default prefix: its name as a slug (`Twikit (prod)` → `twikit-prod`). */
export function defaultPrefix(serverName: string): string {
  const slug = serverName
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
  return slug === '' ? 'server' : slug;
}

/** Whether a tool of this member is in the toolset (before its server's own policy). */
export function inToolset(member: Pick<ToolsetMemberView, 'allTools' | 'tools'>, toolName: string): boolean {
  return member.allTools || member.tools.includes(toolName);
}

/**
 * The name an agent sees for an upstream tool (or prompt) of this member: the prefix, then the
 * toolset's override, else the server's own override, else the upstream's name.
 */
export function exposedName(
  member: Pick<ToolsetMemberView, 'prefix' | 'overrides'>,
  upstreamName: string,
  serverOverrideName?: string | null,
): string {
  const own = overrideOf(member, upstreamName)?.name ?? serverOverrideName ?? upstreamName;
  return `${member.prefix}${PREFIX_SEPARATOR}${own}`;
}

/** The member a prefixed name belongs to (members by prefix) and the rest of the name, split at the first separator. */
export function splitPrefixed<M>(
  byPrefix: ReadonlyMap<string, M>,
  exposed: string,
): { member: M; rest: string } | undefined {
  const at = exposed.indexOf(PREFIX_SEPARATOR);
  const member = at > 0 ? byPrefix.get(exposed.slice(0, at)) : undefined;
  return member === undefined ? undefined : { member, rest: exposed.slice(at + PREFIX_SEPARATOR.length) };
}

/**
 * Exposed name → upstream name for one member's tools (each with its server-level override name):
 * how a call's name routes back. Built from the catalog, so a renamed tool answers only to its
 * new name.
 */
export function exposedNameTable(
  member: Pick<ToolsetMemberView, 'prefix' | 'overrides'>,
  tools: Iterable<{ name: string; overrideName?: string | null }>,
): Map<string, string> {
  const table = new Map<string, string>();
  for (const tool of tools) table.set(exposedName(member, tool.name, tool.overrideName), tool.name);
  return table;
}

/**
 * The call's decision in a toolset: the server's policy decided first; a tool left out of the
 * toolset is refused as not available (what the agent reads is the same as for a tool that does
 * not exist), so a toolset can only take away, never allow what the server's policy does not.
 */
export function narrowDecision(
  decision: Decision,
  member: Pick<ToolsetMemberView, 'allTools' | 'tools'>,
  toolName: string,
  exposed: string,
): Decision {
  return inToolset(member, toolName) ? decision : outOfScopeDecision(exposed);
}

/**
 * The decision for a name outside what this endpoint offers (left out of the toolset, or a tool's
 * upstream name after an override renamed it): not available, as for a tool that does not exist.
 */
export function outOfScopeDecision(exposed: string, rule: string = TOOLSET_RULE): Decision {
  return { effect: 'hide', rule, reason: notAvailableReason(exposed), counters: [] };
}

export interface NameCheckInput {
  serverName: string;
  prefix: string;
  overrides: Readonly<Record<string, ToolOverride>>;
  /** The member's tools in the toolset, with their server-level override names. */
  tools: readonly { name: string; overrideName?: string | null }[];
  /** Its prompts' names (prefixed the same way). */
  prompts?: readonly string[];
  resourceUris?: readonly string[];
}

/**
 * Save-time checks of a toolset's members: prefixes valid and distinct, every exposed tool and
 * prompt name valid and distinct, no resource URI listed by two servers. Each message names both
 * sides of a collision.
 */
export function checkToolsetNames(members: readonly NameCheckInput[]): string[] {
  const errors: string[] = [];
  const prefixes = new Map<string, string>();
  for (const m of members) {
    if (!PREFIX_PATTERN.test(m.prefix))
      errors.push(
        `Prefix "${m.prefix}" of ${m.serverName} is not valid: use 1 to 32 lower-case letters, digits, "-" or "_", starting and ending with a letter or digit, without "__"`,
      );
    const other = prefixes.get(m.prefix);
    if (other !== undefined)
      errors.push(
        `Prefix "${m.prefix}" is used by both ${other} and ${m.serverName}; give one another prefix`,
      );
    else prefixes.set(m.prefix, m.serverName);
  }
  const names = new Map<string, string>();
  const claim = (kind: 'tool' | 'prompt', exposed: string, owner: string) => {
    if (kind === 'tool' && !TOOL_NAME_PATTERN.test(exposed))
      errors.push(
        `Tool name "${exposed}" (${owner}) is not valid: at most 128 letters, digits, "_", "-" or "."`,
      );
    const key = `${kind}:${exposed}`;
    const other = names.get(key);
    if (other !== undefined)
      errors.push(
        `${kind === 'tool' ? 'Tool' : 'Prompt'} name "${exposed}" is used by both ${other} and ${owner}`,
      );
    else names.set(key, owner);
  };
  for (const m of members) {
    for (const tool of m.tools)
      claim('tool', exposedName(m, tool.name, tool.overrideName), `${m.serverName}'s tool ${tool.name}`);
    for (const prompt of m.prompts ?? [])
      claim('prompt', `${m.prefix}${PREFIX_SEPARATOR}${prompt}`, `${m.serverName}'s prompt ${prompt}`);
  }
  const uris = new Map<string, string>();
  for (const m of members)
    for (const uri of m.resourceUris ?? []) {
      const other = uris.get(uri);
      if (other !== undefined && other !== m.serverName)
        errors.push(
          `Resource ${uri} is listed by both ${other} and ${m.serverName}; a toolset routes each URI to one server`,
        );
      else uris.set(uri, m.serverName);
    }
  return errors;
}
