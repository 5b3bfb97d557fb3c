// tools/list through the gateway: the upstream's page, minus tools the grant may not call —
// hidden or always denied by the policy, not in the catalog, or blocked by pinning (including a
// live definition that no longer matches the approved hash, before the catalog has caught up).
import type { ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';
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
    const entry = state.tools.get(tool.name);
    if (!entry || !entry.present) definitionDrift = true;
    else if (entry.pinState === 'approved' && !definitionMatches(entry.approvedHash, entry, tool)) definitionDrift = true;
    else live.push(tool);
  }
  return { result: { ...upstream, tools: visibleTools(state.policy, live, (name) => state.tools.get(name)) }, definitionDrift };
}
