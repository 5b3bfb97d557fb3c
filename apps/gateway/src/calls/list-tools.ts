// tools/list through the gateway: the upstream's page, minus tools the grant may not call —
// hidden or always denied by the policy, not in the catalog, or blocked by pinning (including a
// live definition that no longer matches the approved hash, before the catalog has caught up).
import type { ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { definitionMatches } from '@portcullis/catalog/sync-server-tools';
import { listVisibleTools } from '@portcullis/policy/evaluate';
import type { ServerState } from '../state/server-state.ts';

export interface ListFilterOutcome {
  result: ListToolsResult;
  /** Some listed definition differs from the approved one: the catalog should be re-synced. */
  definitionDrift: boolean;
}

export function filterListedTools(state: ServerState, upstream: ListToolsResult): ListFilterOutcome {
  let definitionDrift = false;
  const policy = state.policy;
  if (!policy || !policy.ok) return { result: { ...upstream, tools: [] }, definitionDrift };
  const pinned: Tool[] = [];
  for (const tool of upstream.tools) {
    const entry = state.tools.get(tool.name);
    if (!entry || !entry.present) {
      definitionDrift = true;
      continue;
    }
    if (entry.pinState !== 'approved') continue;
    if (!definitionMatches(entry.approvedHash, entry, tool)) {
      definitionDrift = true;
      continue;
    }
    pinned.push(tool);
  }
  const visible = listVisibleTools(policy.compiled, pinned, (tool) => state.tools.get(tool.name)?.risk);
  return { result: { ...upstream, tools: visible }, definitionDrift };
}
