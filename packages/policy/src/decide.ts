// The one decision about a call, as enforcement makes it and simulation must predict it: the
// server's active policy as stored (none, invalid, or valid), the catalog's view of the tool
// (present, pinned) and the policy's rules. The gateway enforces with these functions; the
// dashboard's simulate, replay, approval expiry and catalog view call the same ones.
import type { CompiledPolicy } from './compile.ts';
import {
  evaluateFeature,
  evaluatePolicy,
  guardsForTool,
  listVisibleTools,
  toCompiledPolicy,
} from './evaluate.ts';
import { NO_GUARDS, type EffectiveGuards } from './guards.ts';
import type { Decision, Feature, PolicyDocument, RiskCategory } from './types.ts';

/** A server's active policy as stored: absent, a version that fails validation, or a valid one. */
export type ActivePolicy =
  | { ok: true; version: number; compiled: CompiledPolicy | PolicyDocument }
  | { ok: false; version: number; error: string };

export const PIN_STATES = ['approved', 'changed', 'blocked', 'pending'] as const;
export type PinState = (typeof PIN_STATES)[number];

/** What the catalog knows of a tool. */
export interface CatalogTool {
  present: boolean;
  pinState: PinState;
  /** '' for a tool that was never approved (new since the catalog was reviewed). */
  approvedHash: string;
  risk: RiskCategory | undefined;
}

/** The rule names of refusals that come before the policy's own rules. */
export const PRE_POLICY_RULES = {
  noPolicy: '(no policy)',
  invalidPolicy: '(invalid policy)',
  catalog: '(catalog)',
  pinning: '(pinning)',
} as const;

const NO_POLICY = 'No policy is active for this server';

function refused(rule: string, reason: string): Decision {
  return { effect: 'deny', rule, reason, counters: [] };
}

/** A refusal for the server as a whole (no or invalid policy), or undefined when the policy can decide. */
function serverRefusal(policy: ActivePolicy | undefined | null): Decision | undefined {
  if (!policy) return refused(PRE_POLICY_RULES.noPolicy, NO_POLICY);
  if (!policy.ok)
    return refused(
      PRE_POLICY_RULES.invalidPolicy,
      `The active policy (version ${policy.version}) is invalid: ${policy.error}`,
    );
  return undefined;
}

/** The sentence for a tool the agent may not know about (hidden, or not in the catalog): the same for both. */
export function notAvailableReason(toolName: string): string {
  return `Tool ${toolName} is not available on this server`;
}

/**
 * The decision for one tools/call. A tool the policy hides keeps effect `hide` (for the audit
 * log) but carries the not-available reason, so what the agent reads is the same as for a tool
 * that does not exist. Counters in the result must still be reserved (applyCounterResults).
 */
export function decideToolCall(
  policy: ActivePolicy | undefined | null,
  tool: CatalogTool | undefined,
  call: { tool: string; args: Record<string, unknown> },
): Decision {
  const refusal = serverRefusal(policy);
  if (refusal) return refusal;
  if (!tool || !tool.present) return refused(PRE_POLICY_RULES.catalog, notAvailableReason(call.tool));
  const decision = evaluatePolicy((policy as { compiled: CompiledPolicy | PolicyDocument }).compiled, {
    tool: call.tool,
    args: call.args,
    ...(tool.risk ? { risk: { category: tool.risk } } : {}),
  });
  if (decision.effect === 'hide') return { ...decision, reason: notAvailableReason(call.tool), counters: [] };
  if (tool.pinState !== 'approved') {
    const isNew = tool.pinState === 'pending' || (tool.pinState === 'blocked' && tool.approvedHash === '');
    return refused(
      PRE_POLICY_RULES.pinning,
      isNew
        ? `Tool ${call.tool} is new since this server's catalog was reviewed; an editor must approve it in the dashboard`
        : `Tool ${call.tool}: definition changed since it was approved; an editor must review the change in the dashboard`,
    );
  }
  return decision;
}

/** The content guards of a tools/call the policy lets through (none without a valid policy: the call is refused anyway). */
export function guardsForCall(
  policy: ActivePolicy | undefined | null,
  tool: CatalogTool | undefined,
  toolName: string,
): EffectiveGuards {
  if (!policy || !policy.ok) return NO_GUARDS;
  return guardsForTool(policy.compiled, toolName, tool?.risk);
}

/** The decision for a resources/prompts request (read, get, subscribe, complete, list). */
export function decideFeatureRequest(policy: ActivePolicy | undefined | null, feature: Feature): Decision {
  return (
    serverRefusal(policy) ??
    evaluateFeature((policy as { compiled: CompiledPolicy | PolicyDocument }).compiled, feature)
  );
}

/**
 * The tools of a tools/list page an agent may see: in the catalog, pinned as approved, and not
 * hidden or always denied by the policy. No or an invalid policy lists nothing.
 */
export function visibleTools<T extends { name: string }>(
  policy: ActivePolicy | undefined | null,
  tools: readonly T[],
  catalog: (name: string) => CatalogTool | undefined,
): T[] {
  if (serverRefusal(policy)) return [];
  const pinned = tools.filter((tool) => {
    const entry = catalog(tool.name);
    return entry !== undefined && entry.present && entry.pinState === 'approved';
  });
  return listVisibleTools(
    (policy as { compiled: CompiledPolicy | PolicyDocument }).compiled,
    pinned,
    (tool) => catalog(tool.name)?.risk,
  );
}

/**
 * A request method the gateway relays without knowing it (a vendor's, a newer revision's): the
 * policy's default decides, so a default-deny policy passes nothing it does not name. No policy or
 * an invalid one refuses, as for every other request.
 */
export function decideOtherRequest(policy: ActivePolicy | undefined | null, method: string): Decision {
  const refusal = serverRefusal(policy);
  if (refusal) return refusal;
  const fallback = toCompiledPolicy(
    (policy as { compiled: CompiledPolicy | PolicyDocument }).compiled,
  ).defaultDecision;
  if (fallback.effect === 'allow') return { effect: 'allow', rule: '(default)', counters: [] };
  return refused('(default)', `No policy rule allows ${method} (the policy default is deny)`);
}
