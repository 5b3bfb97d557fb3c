// What the active policy does with each catalog tool, in the catalog's words. The decision comes from
// packages/policy (findRule picks the governing rule, evaluatePolicy decides); this file only names it.
import { compilePolicy, type CompiledPolicy } from '@portcullis/policy/compile';
import { evaluatePolicy, findRule } from '@portcullis/policy/evaluate';
import type { Decision, RiskCategory } from '@portcullis/policy/types';

/** `limited` is an allow with rate limits; the catalog filters on these. */
export const POLICY_EFFECTS = ['allow', 'limited', 'require_approval', 'deny', 'hide'] as const;
export type PolicyEffect = (typeof POLICY_EFFECTS)[number];

export const EFFECT_LABEL: Record<PolicyEffect, string> = {
  allow: 'Allowed',
  limited: 'Limited',
  require_approval: 'Needs approval',
  deny: 'Denied',
  hide: 'Hidden',
};

export interface ToolEffect {
  effect: PolicyEffect;
  /** e.g. "Limited 30/minute", "Needs approval", "Denied". */
  label: string;
  /** The rule that decides: a tool name, `@write`, `*`, `default` or `no policy`. */
  rule: string;
  /** Argument conditions on that rule (the label is the outcome when none matches). */
  conditions: number;
  /** Whether agents see the tool in tools/list. */
  listed: boolean;
}

/** The active version compiled, or null when there is none (or it no longer compiles): every call is denied. */
export function compileActivePolicy(document: unknown | null): CompiledPolicy | null {
  if (document === null || document === undefined) return null;
  try {
    return compilePolicy(document);
  } catch {
    return null;
  }
}

const WINDOW_NAMES: Array<[number, string]> = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
];

function windowName(ms: number): string {
  const named = WINDOW_NAMES.find(([unit]) => unit === ms);
  return named ? named[1] : `${ms / 1000} s`;
}

function limitsOf(decision: Decision): string {
  return decision.counters.map((c) => `${c.max}/${windowName(c.windowMs)}`).join(', ');
}

function ruleName(pointer: string): string {
  return pointer
    .replace(/^\/tools\//, '')
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
}

export function toolEffect(
  policy: CompiledPolicy | null,
  tool: { name: string; category: RiskCategory },
): ToolEffect {
  if (!policy)
    return { effect: 'deny', label: EFFECT_LABEL.deny, rule: 'no policy', conditions: 0, listed: false };
  const rule = findRule(policy, tool.name, tool.category);
  // With conditions, the rule's own decision is what a call matching none of them gets.
  const decision =
    rule && rule.conditions.length > 0
      ? rule.decision
      : evaluatePolicy(policy, { tool: tool.name, args: {}, risk: { category: tool.category } });
  const limits = limitsOf(decision);
  const listed = rule ? rule.listed : decision.effect === 'allow';
  const base = {
    rule: rule ? ruleName(rule.pointer) : 'default',
    conditions: rule?.conditions.length ?? 0,
    listed,
  };
  switch (decision.effect) {
    case 'allow':
      return limits
        ? { ...base, effect: 'limited', label: `${EFFECT_LABEL.limited} ${limits}` }
        : { ...base, effect: 'allow', label: EFFECT_LABEL.allow };
    case 'require_approval':
      return {
        ...base,
        effect: 'require_approval',
        label: limits ? `${EFFECT_LABEL.require_approval}, then ${limits}` : EFFECT_LABEL.require_approval,
      };
    case 'hide':
      return { ...base, effect: 'hide', label: EFFECT_LABEL.hide };
    default:
      return { ...base, effect: 'deny', label: EFFECT_LABEL.deny };
  }
}

/** Per risk category, how many tools get each effect. */
export function effectTotals(
  rows: Array<{ category: RiskCategory; effect: PolicyEffect }>,
): Record<RiskCategory, Record<PolicyEffect, number>> {
  const empty = () => Object.fromEntries(POLICY_EFFECTS.map((e) => [e, 0])) as Record<PolicyEffect, number>;
  const totals: Record<RiskCategory, Record<PolicyEffect, number>> = {
    read: empty(),
    write: empty(),
    destructive: empty(),
  };
  for (const row of rows) totals[row.category][row.effect] += 1;
  return totals;
}
