// Pure decision functions the gateway calls on every tools/call and tools/list.
// Nothing here reads clocks or counters: counter state comes back in through applyCounterResults.

import { compilePolicy, isCompiledPolicy, type CompiledPolicy, type CompiledRule } from './compile.ts';
import type { EffectiveGuards } from './guards.ts';
import type { CounterOutcome, Decision, Feature, PolicyDocument, RiskCategory, ToolCall } from './types.ts';

const compiledDocuments = new WeakMap<object, CompiledPolicy>();

/** A tool name that is not text cannot be matched against exact rules, so the call is refused outright. */
const MALFORMED_CALL: Decision = Object.freeze({
  effect: 'deny',
  rule: '(invalid call)',
  reason: 'The tool name must be text.',
  counters: [],
});
Object.freeze(MALFORMED_CALL.counters);

/** Accepts a compiled policy, or a document that is compiled once and cached per object. */
export function toCompiledPolicy(policy: CompiledPolicy | PolicyDocument): CompiledPolicy {
  if (isCompiledPolicy(policy)) return policy;
  let compiled = compiledDocuments.get(policy);
  if (!compiled) {
    compiled = compilePolicy(policy);
    compiledDocuments.set(policy, compiled);
  }
  return compiled;
}

/**
 * The rule that governs a tool. Precedence: exact tool name, then its risk class (`@read`,
 * `@write`, `@destructive`), then `*`, then none (the policy default applies). The first rule
 * found decides alone; rules are never merged.
 */
export function findRule(
  policy: CompiledPolicy,
  tool: string,
  risk: RiskCategory | undefined,
): CompiledRule | undefined {
  // Own keys only: a catalog category such as 'constructor' must not find Object.prototype's.
  const classRule =
    typeof risk === 'string' && Object.hasOwn(policy.classes, risk) ? policy.classes[risk] : undefined;
  return policy.exact.get(tool) ?? classRule ?? policy.allTools;
}

/**
 * Decides one tool call. When the effect is allow (or require_approval, once approved) the
 * gateway must reserve `decision.counters` and pass the outcome to applyCounterResults.
 */
export function evaluatePolicy(policy: CompiledPolicy | PolicyDocument, call: ToolCall): Decision {
  const compiled = toCompiledPolicy(policy);
  if (typeof call.tool !== 'string') return MALFORMED_CALL;
  const rule = findRule(compiled, call.tool, call.risk?.category);
  if (!rule) return compiled.defaultDecision;
  // A hidden tool is refused whatever its arguments (the validator also rejects conditions on it).
  if (rule.action !== 'hide' && rule.conditions.length > 0) {
    const args = typeof call.args === 'object' && call.args !== null ? call.args : {};
    for (const condition of rule.conditions) {
      if (condition.test(args)) return condition.decision;
    }
  }
  return rule.decision;
}

/** The content guards of one tool: its rule's (laid over the policy's), or the policy's when no rule covers it. */
export function guardsForTool(
  policy: CompiledPolicy | PolicyDocument,
  tool: string,
  risk: RiskCategory | undefined,
): EffectiveGuards {
  const compiled = toCompiledPolicy(policy);
  return findRule(compiled, tool, risk)?.guards ?? compiled.guards;
}

/** Decides a request for a feature other than tools (resources/*, prompts/*, their completions). */
export function evaluateFeature(policy: CompiledPolicy | PolicyDocument, feature: Feature): Decision {
  return toCompiledPolicy(policy).features[feature];
}

/** Folds a counter store's answer into a decision: over a limit becomes rate_limited. */
export function applyCounterResults(decision: Decision, outcome: CounterOutcome): Decision {
  if (outcome.ok === true) return decision;
  const { counter } = outcome;
  // A store answer without a usable time (NaN, Infinity) still refuses; a full window is a safe wait.
  const retryAfterMs = Number.isFinite(outcome.retryAfterMs)
    ? Math.max(0, Math.ceil(outcome.retryAfterMs))
    : counter.windowMs;
  return {
    effect: 'rate_limited',
    rule: counter.rule,
    reason:
      `Rate limit reached: at most ${counter.max} call${counter.max === 1 ? '' : 's'} per ${describeWindow(counter.windowMs)} ` +
      `(per ${counter.scope}). Retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`,
    counters: [],
    retryAfterMs,
  };
}

function describeWindow(windowMs: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [ms, name] of units) {
    if (windowMs === ms) return name;
    if (windowMs % ms === 0) return `${windowMs / ms} ${name}s`;
  }
  return `${windowMs} ms`;
}

/**
 * Tools to show in tools/list: drops tools whose rule hides them or can only ever deny them.
 * Tools whose rule has conditions stay listed unless every possible outcome is deny.
 */
export function listVisibleTools<T extends { name: string }>(
  policy: CompiledPolicy | PolicyDocument,
  tools: readonly T[],
  riskOf: (tool: T) => RiskCategory | undefined = (tool) =>
    (tool as { risk?: { category?: RiskCategory } }).risk?.category,
): T[] {
  const compiled = toCompiledPolicy(policy);
  const listedByDefault = compiled.document.default === 'allow';
  return tools.filter((tool) => {
    const rule = findRule(compiled, tool.name, riskOf(tool));
    return rule ? rule.listed : listedByDefault;
  });
}
