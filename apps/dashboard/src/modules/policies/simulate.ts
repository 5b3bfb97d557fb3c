// Simulation predicts enforcement: the draft policy and the catalog's view of each tool go through
// packages/policy's decideToolCall, the function the gateway enforces with (no policy, an unknown
// tool, a tool held by pinning are refused here exactly as there).
import { decideToolCall, type CatalogTool, type PinState } from '@portcullis/policy/decide';
import type { Decision, PolicyDocument, RiskCategory } from '@portcullis/policy/types';

/** A catalog row as the dashboard reads it: what decideToolCall needs to know of a tool. */
export interface CatalogRow {
  name: string;
  present: boolean;
  pinState: PinState;
  approvedHash: string;
  category: RiskCategory;
}

export const catalogRowSelect = { name: true, present: true, pinState: true, approvedHash: true } as const;

export function catalogTool(row: CatalogRow | undefined): CatalogTool | undefined {
  return row
    ? { present: row.present, pinState: row.pinState, approvedHash: row.approvedHash, risk: row.category }
    : undefined;
}

/** What the gateway would decide for this call if `policy` were the active version. */
export function simulateCall(
  policy: PolicyDocument,
  catalog: ReadonlyMap<string, CatalogRow>,
  tool: string,
  args: Record<string, unknown>,
): Decision {
  return decideToolCall({ ok: true, version: 0, compiled: policy }, catalogTool(catalog.get(tool)), {
    tool,
    args,
  });
}
