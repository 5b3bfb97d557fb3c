// tools/list through the gateway: the upstream's page, minus tools the grant may not call —
// hidden or always denied by the policy, not in the catalog, or blocked by pinning (including a
// live definition that no longer matches the approved hash, before the catalog has caught up).
import { ToolSchema, type ListToolsResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { definitionMatches } from '@portcullis/catalog/sync-server-tools';
import { visibleTools } from '@portcullis/policy/decide';
import type { ServerState } from '../state/server-state.ts';

export interface ListFilterOutcome {
  result: ListToolsResult;
  /** Some listed definition differs from the approved one: the catalog should be re-synced. */
  definitionDrift: boolean;
}

export function filterListedTools(state: ServerState, upstream: ListToolsResult): ListFilterOutcome {
  let definitionDrift = false;
  // The live definition must still be the approved one; drift (or a tool the catalog lacks) asks for a re-sync.
  const live: Tool[] = [];
  for (const tool of upstream.tools) {
    // Compared in the form the catalog was synced from (the SDK's Tool schema, which leaves out keys
    // it does not model, e.g. a vendor's annotation), but listed as the upstream sent it.
    const parsed = ToolSchema.safeParse(tool);
    const entry = parsed.success ? state.tools.get(parsed.data.name) : undefined;
    if (!entry || !entry.present) definitionDrift = true;
    else if (entry.pinState === 'approved' && !definitionMatches(entry.approvedHash, entry, parsed.data!))
      definitionDrift = true;
    else live.push(tool);
  }
  return {
    result: { ...upstream, tools: visibleTools(state.policy, live, (name) => state.tools.get(name)) },
    definitionDrift,
  };
}
