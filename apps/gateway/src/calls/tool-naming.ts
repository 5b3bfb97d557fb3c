// The names and text agents see for a server's tools, and how a called name maps back to the
// upstream's tool: a plain server's tool overrides, or a toolset member's prefix, subset and
// overrides (docs/toolsets.md; the rules are packages/policy/src/toolset.ts). Policy, pinning,
// audit and the upstream always use the upstream's own name. Built once per server state and
// member view (both are replaced, never changed, when something changes).
import { exposedName, inToolset, overrideOf, type ToolsetMemberView } from '@portcullis/policy/toolset';
import type { ServerState } from '../state/server-state.ts';

export interface ToolNaming {
  /** The upstream tool an agent's name calls, or undefined when no tool answers to that name. */
  resolve(exposed: string): string | undefined;
  /** In the toolset's subset (always, on a plain server). */
  included(upstreamName: string): boolean;
  /** A listed tool (the upstream's object) as agents see it: renamed and re-described. */
  present<T extends { name: string }>(tool: T): T;
}

const CLASH = Symbol('two tools, one name');

const plainNamings = new WeakMap<ServerState, ToolNaming>();
const memberNamings = new WeakMap<ServerState, WeakMap<ToolsetMemberView, ToolNaming>>();

/** The naming of a server's tools for one session: undefined when agents see the upstream's own. */
export function toolNaming(
  state: ServerState,
  member: ToolsetMemberView | undefined,
): ToolNaming | undefined {
  if (!member) {
    if (!state.overridden) return undefined;
    let naming = plainNamings.get(state);
    if (!naming) plainNamings.set(state, (naming = build(state, undefined)));
    return naming;
  }
  let byMember = memberNamings.get(state);
  if (!byMember) memberNamings.set(state, (byMember = new WeakMap()));
  let naming = byMember.get(member);
  if (!naming) byMember.set(member, (naming = build(state, member)));
  return naming;
}

function build(state: ServerState, member: ToolsetMemberView | undefined): ToolNaming {
  const exposedOf = (upstream: string): string => {
    const own = state.tools.get(upstream)?.overrideName ?? null;
    return member ? exposedName(member, upstream, own) : (own ?? upstream);
  };
  // Exposed name → upstream tool. A name a tenant gave (an override) wins over a tool's own name:
  // a tool the upstream adds later under an override's name is shadowed (neither listed nor called
  // by it), so it cannot take over the renamed tool's calls. Two overrides of one name (the
  // dashboard refuses that at save) answer to neither.
  const table = new Map<string, string | typeof CLASH>();
  const renamed = (name: string) =>
    (member !== undefined && overrideOf(member, name)?.name !== undefined) ||
    (state.tools.get(name)?.overrideName ?? null) !== null;
  const shadowed = new Set<string>();
  for (const pass of [true, false])
    for (const name of state.tools.keys()) {
      if (renamed(name) !== pass) continue;
      const exposed = exposedOf(name);
      if (!table.has(exposed)) table.set(exposed, name);
      else if (pass) table.set(exposed, CLASH);
      else shadowed.add(name);
    }
  const prefix = member ? `${member.prefix}__` : '';
  return {
    resolve(exposed) {
      const known = table.get(exposed);
      if (known === CLASH) return undefined;
      if (known !== undefined) return known;
      if (!exposed.startsWith(prefix)) return undefined;
      const rest = exposed.slice(prefix.length);
      // A catalog tool answers only to its exposed name (renamed: not to the upstream's); a name the
      // catalog does not know passes on unprefixed, and the catalog check refuses it as not available.
      return state.tools.has(rest) ? undefined : rest;
    },
    included(upstreamName) {
      if (shadowed.has(upstreamName) || table.get(exposedOf(upstreamName)) === CLASH) return false;
      return member ? inToolset(member, upstreamName) : true;
    },
    present(tool) {
      const entry = state.tools.get(tool.name);
      const override = member ? overrideOf(member, tool.name) : undefined;
      const title = override?.title ?? entry?.overrideTitle ?? undefined;
      const description = override?.description ?? entry?.overrideDescription ?? undefined;
      return {
        ...tool,
        name: exposedOf(tool.name),
        ...(title === undefined ? {} : { title }),
        ...(description === undefined ? {} : { description }),
      };
    },
  };
}
