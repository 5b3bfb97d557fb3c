// Pure decision functions the gateway calls on every tools/call and tools/list.
// Nothing here reads clocks or counters: counter state comes back in through applyCounterResults.

import { compilePolicy, isCompiledPolicy, type CompiledPolicy, type CompiledRule } from './compile.ts';
import type { CounterOutcome, Decision, PolicyDocument, RiskCategory, ToolCall } from './types.ts';

const compiledDocuments = new WeakMap<object, CompiledPolicy>();

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
export function findRule(policy: CompiledPolicy, tool: string, risk: RiskCategory | undefined): CompiledRule | undefined {
  return policy.exact.get(tool) ?? (risk === undefined ? undefined : policy.classes[risk]) ?? policy.allTools;
}

/**
 * Decides one tool call. When the effect is allow (or require_approval, once approved) the
 * gateway must reserve `decision.counters` and pass the outcome to applyCounterResults.
 */
export function evaluatePolicy(policy: CompiledPolicy | PolicyDocument, call: ToolCall): Decision {
  const compiled = toCompiledPolicy(policy);
  const rule = findRule(compiled, call.tool, call.risk?.category);
  if (!rule) return compiled.defaultDecision;
  if (rule.conditions.length > 0) {
    const args = typeof call.args === 'object' && call.args !== null ? call.args : {};
    for (const condition of rule.conditions) {
      if (condition.test(args)) return condition.decision;
    }
  }
  return rule.decision;
}

/** Folds a counter store's answer into a decision: over a limit becomes rate_limited. */
export function applyCounterResults(decision: Decision, outcome: CounterOutcome): Decision {
  if (outcome.ok) return decision;
  const { counter } = outcome;
  const retryAfterMs = Math.max(0, Math.ceil(outcome.retryAfterMs));
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
  riskOf: (tool: T) => RiskCategory | undefined = (tool) => (tool as { risk?: { category?: RiskCategory } }).risk?.category,
): T[] {
  const compiled = toCompiledPolicy(policy);
  const listedByDefault = compiled.document.default === 'allow';
  return tools.filter((tool) => {
    const rule = findRule(compiled, tool.name, riskOf(tool));
    return rule ? rule.listed : listedByDefault;
  });
}
