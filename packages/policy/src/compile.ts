// Turns a policy document into lookup tables and prebuilt decisions, so evaluating a call is a map
// lookup plus the rule's argument tests. Compile once per policy version and reuse.

import {
  ALL_TOOLS_KEY,
  CLASS_RULE_KEYS,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  pointerSegment,
  windowToMs,
} from './bounds.ts';
import { mergeGuards, NO_GUARDS, type EffectiveGuards } from './guards.ts';
import { compileConditionRegex } from './regex.ts';
import type {
  ArgumentPredicate,
  ConditionAction,
  CounterRequest,
  Decision,
  Feature,
  LimitSpec,
  PolicyDocument,
  RiskCategory,
  RuleAction,
  ToolRule,
} from './types.ts';
import { PolicyValidationError, validatePolicy } from './validate.ts';

export type ArgumentTest = (args: Record<string, unknown>) => boolean;

export interface CompiledCondition {
  pointer: string;
  test: ArgumentTest;
  decision: Decision;
}

export interface CompiledRule {
  pointer: string;
  action: RuleAction;
  conditions: CompiledCondition[];
  /** Decision when no condition matches. */
  decision: Decision;
  /** False when every outcome is deny or hide: such tools are left out of tools/list. */
  listed: boolean;
  /** The policy's guards with this rule's laid over them. */
  guards: EffectiveGuards;
}

const COMPILED = Symbol('portcullis.compiledPolicy');

export interface CompiledPolicy {
  readonly [COMPILED]: true;
  readonly document: PolicyDocument;
  readonly exact: ReadonlyMap<string, CompiledRule>;
  readonly classes: Readonly<Partial<Record<RiskCategory, CompiledRule>>>;
  readonly allTools: CompiledRule | undefined;
  readonly defaultDecision: Decision;
  readonly auditArguments: 'redacted' | 'full';
  /** What resources/* and prompts/* requests get (a `/resources` or `/prompts` rule, else the default). */
  readonly features: Readonly<Record<Feature, Decision>>;
  /** Guards of tools no rule covers (the policy's `guards`). */
  readonly guards: EffectiveGuards;
  /** Tenant patterns by name (RE2 syntax; compiled by @portcullis/guardrails). */
  readonly patterns: Readonly<Record<string, string>>;
}

export function isCompiledPolicy(value: unknown): value is CompiledPolicy {
  return typeof value === 'object' && value !== null && COMPILED in value;
}

const DEFAULT_DENY_REASON = 'No policy rule allows this tool (the policy default is deny).';
const DENY_REASON = 'This tool call is denied by policy.';
const HIDE_REASON = 'This tool is not available.';

/**
 * Validates (throws PolicyValidationError when invalid) and compiles a policy document.
 * Decisions returned by the evaluator are frozen objects shared between calls.
 */
export function compilePolicy(doc: PolicyDocument | unknown): CompiledPolicy {
  const result = validatePolicy(doc);
  if (!result.ok) throw new PolicyValidationError(result.errors);
  const policy = result.policy;
  const defaultApprovalSeconds = policy.approval?.timeout ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;

  const exact = new Map<string, CompiledRule>();
  const classes: Partial<Record<RiskCategory, CompiledRule>> = {};
  let allTools: CompiledRule | undefined;
  for (const [key, rule] of Object.entries(policy.tools ?? {})) {
    const compiled = compileRule(`/tools/${pointerSegment(key)}`, rule, defaultApprovalSeconds);
    compiled.guards = mergeGuards(policy.guards, rule.guards);
    if (key === ALL_TOOLS_KEY) allTools = compiled;
    // Own keys only: `'constructor' in {…}` is true, and a tool named constructor must stay exact.
    else if (Object.hasOwn(CLASS_RULE_KEYS, key))
      classes[CLASS_RULE_KEYS[key as keyof typeof CLASS_RULE_KEYS]] = compiled;
    else exact.set(key, compiled);
  }
  const defaultDecision: Decision =
    policy.default === 'allow'
      ? freezeDecision({ effect: 'allow', rule: '(default)', counters: [] })
      : freezeDecision({ effect: 'deny', rule: '(default)', reason: DEFAULT_DENY_REASON, counters: [] });
  return Object.freeze({
    [COMPILED]: true as const,
    document: policy,
    exact,
    classes: Object.freeze(classes),
    allTools,
    defaultDecision,
    auditArguments: policy.audit?.arguments ?? 'redacted',
    features: Object.freeze({
      resources: compileFeature(policy, 'resources'),
      prompts: compileFeature(policy, 'prompts'),
    }),
    guards: mergeGuards(policy.guards, undefined),
    patterns: Object.freeze({ ...policy.patterns }),
  });
}

function compileFeature(policy: PolicyDocument, feature: Feature): Decision {
  const rule = policy[feature];
  if (!rule) {
    return policy.default === 'allow'
      ? freezeDecision({ effect: 'allow', rule: '(default)', counters: [] })
      : freezeDecision({
          effect: 'deny',
          rule: '(default)',
          reason: `No policy rule allows ${feature} (the policy default is deny).`,
          counters: [],
        });
  }
  return rule.action === 'allow'
    ? freezeDecision({ effect: 'allow', rule: `/${feature}`, counters: [] })
    : freezeDecision({
        effect: 'deny',
        rule: `/${feature}`,
        reason:
          rule.reason ?? `${feature === 'resources' ? 'Resources are' : 'Prompts are'} denied by policy.`,
        counters: [],
      });
}

function compileRule(pointer: string, rule: ToolRule, defaultApprovalSeconds: number): CompiledRule {
  const action = rule.action ?? 'allow';
  const counters = compileCounters(pointer, rule);
  const approvalTimeoutMs = (rule.approval?.timeout ?? defaultApprovalSeconds) * 1000;
  const conditions = (rule.conditions ?? []).map((condition, i): CompiledCondition => {
    const conditionPointer = `${pointer}/conditions/${i}`;
    const predicates = Array.isArray(condition.when) ? condition.when : [condition.when];
    const verdict = compileAll(predicates.map(compilePredicate));
    // An argument of a type the test cannot judge fails closed: it triggers a deny or
    // require_approval condition and never an allow condition.
    const whenUnknown = condition.action !== 'allow';
    return {
      pointer: conditionPointer,
      test: (args) => verdict(args) ?? whenUnknown,
      decision: buildDecision(
        conditionPointer,
        condition.action,
        condition.reason ?? rule.reason,
        counters,
        approvalTimeoutMs,
      ),
    };
  });
  const outcomes: Array<RuleAction | ConditionAction> = [
    action,
    ...(rule.conditions ?? []).map((c) => c.action),
  ];
  return {
    pointer,
    action,
    conditions,
    decision: buildDecision(pointer, action, rule.reason, counters, approvalTimeoutMs),
    listed: action !== 'hide' && outcomes.some((o) => o === 'allow' || o === 'require_approval'),
    guards: NO_GUARDS,
  };
}

function compileCounters(pointer: string, rule: ToolRule): CounterRequest[] {
  const specs: Array<[string, LimitSpec]> = [];
  if (rule.rate_limit) specs.push([`${pointer}/rate_limit`, rule.rate_limit]);
  (rule.limits ?? []).forEach((limit, i) => specs.push([`${pointer}/limits/${i}`, limit]));
  return specs.map(([limitPointer, limit]) =>
    Object.freeze({
      // The default name is the limit's own pointer, so each limit counts separately unless named.
      name: limit.counter ?? limitPointer.slice(1),
      scope: limit.scope ?? 'grant',
      windowMs: windowToMs(limit.window),
      max: limit.max,
      rule: limitPointer,
      named: limit.counter !== undefined,
    }),
  );
}

function buildDecision(
  pointer: string,
  action: RuleAction | ConditionAction,
  reason: string | undefined,
  counters: CounterRequest[],
  approvalTimeoutMs: number,
): Decision {
  switch (action) {
    case 'allow':
      return freezeDecision({ effect: 'allow', rule: pointer, counters });
    case 'require_approval':
      return freezeDecision({
        effect: 'require_approval',
        rule: pointer,
        ...(reason === undefined ? {} : { reason }),
        counters,
        approval: Object.freeze({ timeoutMs: approvalTimeoutMs }),
      });
    case 'deny':
      return freezeDecision({ effect: 'deny', rule: pointer, reason: reason ?? DENY_REASON, counters: [] });
    case 'hide':
      return freezeDecision({ effect: 'hide', rule: pointer, reason: reason ?? HIDE_REASON, counters: [] });
  }
}

function freezeDecision(decision: Decision): Decision {
  Object.freeze(decision.counters);
  return Object.freeze(decision);
}

/** true, false, or undefined when the argument's type cannot be judged by the test (Kleene logic). */
type Verdict = boolean | undefined;
type ArgumentVerdict = (args: Record<string, unknown>) => Verdict;

/** All must hold: one false is false; otherwise one unknown is unknown. */
function compileAll(tests: ArgumentVerdict[]): ArgumentVerdict {
  if (tests.length === 1) return tests[0]!;
  return (args) => {
    let result: Verdict = true;
    for (const test of tests) {
      const verdict = test(args);
      if (verdict === false) return false;
      if (verdict === undefined) result = undefined;
    }
    return result;
  };
}

/** Reads a dot path; only own properties, so `constructor` or `__proto__` never reach the prototype. */
function compilePath(path: string): (args: Record<string, unknown>) => unknown {
  const segments = path.split('.');
  return (args) => {
    let current: unknown = args;
    for (const segment of segments) {
      if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment))
        return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current;
  };
}

const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** JSON equality, except that a number equals the string spelling it, since tools often accept both. */
function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return NUMERIC_TEXT.test(b) && Number(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return NUMERIC_TEXT.test(a) && Number(a) === b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => looseEqual(item, b[i]));
  const aKeys = Object.keys(a);
  const bObject = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(bObject).length &&
    aKeys.every(
      (key) => Object.hasOwn(bObject, key) && looseEqual((a as Record<string, unknown>)[key], bObject[key]),
    )
  );
}

/**
 * Backtracking regexes can take quadratic time or worse on long text even after the shape checks
 * in regex.ts, so longer subjects are not searched: the test's answer is unknown (fails closed).
 */
export const MAX_REGEX_SUBJECT_LENGTH = 10_000;

/** Text to search: strings, numbers and booleans as text, a list's scalar items; undefined if the value cannot be searched. */
function regexSubjects(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (!Array.isArray(value)) return undefined;
  const subjects: string[] = [];
  for (const item of value) {
    if (item === null) continue;
    if (typeof item === 'string') subjects.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') subjects.push(String(item));
    else return undefined;
  }
  return subjects;
}

function regexVerdict(regex: RegExp, value: unknown): Verdict {
  if (value === undefined || value === null) return false;
  const subjects = regexSubjects(value);
  if (subjects === undefined) return undefined;
  let length = 0;
  for (const subject of subjects) length += subject.length;
  if (length > MAX_REGEX_SUBJECT_LENGTH) return undefined;
  return subjects.some((subject) => regex.test(subject));
}

/** Numbers, and numeric strings (an agent may send "100" where the tool coerces it); undefined for other present values. */
function numericVerdict(value: unknown, compare: (n: number) => boolean): Verdict {
  if (value === undefined || value === null) return false;
  if (typeof value === 'number') return compare(value);
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) return compare(Number(value));
  return undefined;
}

function compilePredicate(predicate: ArgumentPredicate): ArgumentVerdict {
  const read = compilePath(predicate.arg);
  const checks: Array<(value: unknown) => Verdict> = [];
  if (predicate.exists !== undefined) {
    const wanted = predicate.exists;
    checks.push((v) => (v !== undefined && v !== null) === wanted);
  }
  if (predicate.equals !== undefined) {
    const operand = predicate.equals;
    checks.push((v) => v !== undefined && looseEqual(v, operand));
  }
  if (predicate.not_equals !== undefined) {
    const operand = predicate.not_equals;
    checks.push((v) => v === undefined || !looseEqual(v, operand));
  }
  if (predicate.in !== undefined) {
    const operands = predicate.in;
    checks.push((v) => v !== undefined && operands.some((o) => looseEqual(v, o)));
  }
  if (predicate.not_in !== undefined) {
    const operands = predicate.not_in;
    checks.push((v) => v === undefined || !operands.some((o) => looseEqual(v, o)));
  }
  if (predicate.regex !== undefined) {
    const compiled = compileConditionRegex(predicate.regex);
    if (!compiled.ok) throw new Error(`unreachable: regex was validated (${compiled.message})`);
    const regex = compiled.regex;
    checks.push((v) => regexVerdict(regex, v));
  }
  const numeric: Array<[number | undefined, (n: number, bound: number) => boolean]> = [
    [predicate.lt, (n, b) => n < b],
    [predicate.lte, (n, b) => n <= b],
    [predicate.gt, (n, b) => n > b],
    [predicate.gte, (n, b) => n >= b],
  ];
  for (const [bound, compare] of numeric) {
    if (bound === undefined) continue;
    checks.push((v) => numericVerdict(v, (n) => compare(n, bound)));
  }
  if (checks.length === 1) {
    const check = checks[0]!;
    return (args) => check(read(args));
  }
  return (args) => {
    const value = read(args);
    let result: Verdict = true;
    for (const check of checks) {
      const verdict = check(value);
      if (verdict === false) return false;
      if (verdict === undefined) result = undefined;
    }
    return result;
  };
}
