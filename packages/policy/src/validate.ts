// Hand-written validator for policy documents v1, so that every error has an exact JSON pointer
// and a sentence a policy author can act on. It collects all errors rather than stopping at the first.

import {
  CLASS_RULE_KEYS,
  COUNTER_NAME_PATTERN,
  MAX_APPROVAL_TIMEOUT_SECONDS,
  MAX_ARG_PATH_LENGTH,
  MAX_CONDITIONS_PER_RULE,
  MAX_LIMITS_PER_RULE,
  MAX_LIMIT_MAX,
  MAX_LIST_OPERAND_ITEMS,
  MAX_PREDICATES_PER_CONDITION,
  MAX_REASON_LENGTH,
  MAX_TOOL_KEY_LENGTH,
  MAX_WINDOW_SECONDS,
  MIN_WINDOW_SECONDS,
  isWindowUnit,
  pointerSegment,
} from './bounds.ts';
import {
  BUILT_IN_DETECTORS,
  GUARD_ACTIONS,
  GUARD_DIRECTIONS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS,
  PATTERN_NAME,
  PATTERN_PREFIX,
  isKnownDetector,
} from './guards.ts';
import { compileConditionRegex } from './regex.ts';
import {
  CONDITION_ACTIONS,
  COUNTER_SCOPES,
  FEATURES,
  PREDICATE_OPERATORS,
  RULE_ACTIONS,
  type PolicyDocument,
  type PolicyError,
  type ValidationResult,
} from './types.ts';

const TOP_LEVEL_KEYS = [
  'version',
  'default',
  'tools',
  'approval',
  'audit',
  'resources',
  'prompts',
  'guards',
  'patterns',
];
const RULE_KEYS = ['action', 'reason', 'rate_limit', 'limits', 'conditions', 'approval', 'guards'];
const LIMIT_KEYS = ['counter', 'window', 'max', 'scope'];
const CONDITION_KEYS = ['when', 'action', 'reason'];
const OPERATORS = PREDICATE_OPERATORS;
const PREDICATE_KEYS = ['arg', ...OPERATORS];

type JsonObject = Record<string, unknown>;

class Collector {
  readonly errors: PolicyError[] = [];
  add(pointer: string, message: string): void {
    this.errors.push({ pointer, message });
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

function orList(words: readonly string[]): string {
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** Reports keys outside `allowed`; returns false if `value` is not an object at all. */
function checkObject(
  c: Collector,
  pointer: string,
  value: unknown,
  allowed: readonly string[],
  what: string,
): value is JsonObject {
  if (!isObject(value)) {
    c.add(pointer, `must be ${what} (an object), not ${describe(value)}`);
    return false;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      c.add(
        `${pointer}/${pointerSegment(key)}`,
        `is not a known key here; allowed keys are ${orList(allowed)}`,
      );
    }
  }
  return true;
}

function checkEnum(c: Collector, pointer: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) c.add(pointer, `must be ${orList(allowed)}`);
}

function checkReason(c: Collector, pointer: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '') c.add(pointer, 'must be a non-empty text');
  else if (value.length > MAX_REASON_LENGTH)
    c.add(pointer, `must be at most ${MAX_REASON_LENGTH} characters long`);
}

function checkApproval(c: Collector, pointer: string, value: unknown): void {
  if (!checkObject(c, pointer, value, ['timeout'], 'approval settings')) return;
  const timeout = value.timeout;
  if (timeout === undefined) c.add(`${pointer}/timeout`, 'is required (seconds to wait for an approval)');
  else if (
    typeof timeout !== 'number' ||
    !Number.isInteger(timeout) ||
    timeout < 1 ||
    timeout > MAX_APPROVAL_TIMEOUT_SECONDS
  ) {
    c.add(
      `${pointer}/timeout`,
      `must be a whole number of seconds from 1 to ${MAX_APPROVAL_TIMEOUT_SECONDS}`,
    );
  }
}

function checkLimit(c: Collector, pointer: string, value: unknown): void {
  if (!checkObject(c, pointer, value, LIMIT_KEYS, 'a limit')) return;
  if (
    value.counter !== undefined &&
    (typeof value.counter !== 'string' || !COUNTER_NAME_PATTERN.test(value.counter))
  ) {
    c.add(
      `${pointer}/counter`,
      'must be 1 to 100 letters, digits or _ . : / @ -, starting with a letter or digit',
    );
  }
  const window = value.window;
  if (window === undefined) c.add(`${pointer}/window`, 'is required');
  else if (typeof window === 'number') {
    if (!Number.isFinite(window) || window < MIN_WINDOW_SECONDS || window > MAX_WINDOW_SECONDS) {
      c.add(
        `${pointer}/window`,
        `must be a number of seconds from ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS} (31 days)`,
      );
    }
  } else if (!isWindowUnit(window)) {
    c.add(`${pointer}/window`, 'must be second, minute, hour, day or a number of seconds');
  }
  const max = value.max;
  if (max === undefined) c.add(`${pointer}/max`, 'is required');
  else if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_LIMIT_MAX) {
    c.add(
      `${pointer}/max`,
      `must be a whole number from 1 to ${MAX_LIMIT_MAX} (to block a tool, use "action": "deny")`,
    );
  }
  if (value.scope !== undefined) checkEnum(c, `${pointer}/scope`, value.scope, COUNTER_SCOPES);
}

function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (isObject(value)) return Object.values(value).every((item) => isJsonValue(item, depth + 1));
  return false;
}

function checkPredicate(c: Collector, pointer: string, value: unknown): void {
  if (!checkObject(c, pointer, value, PREDICATE_KEYS, 'an argument test like { "arg": "count", "lte": 50 }'))
    return;
  const arg = value.arg;
  if (arg === undefined)
    c.add(
      `${pointer}/arg`,
      'is required (the argument to test, as a dot path such as "text" or "options.count")',
    );
  else if (
    typeof arg !== 'string' ||
    arg.length === 0 ||
    arg.length > MAX_ARG_PATH_LENGTH ||
    arg.split('.').some((s) => s === '')
  ) {
    c.add(
      `${pointer}/arg`,
      `must be a dot path of non-empty names, at most ${MAX_ARG_PATH_LENGTH} characters, e.g. "text" or "options.count"`,
    );
  }
  const operators = OPERATORS.filter((op) => value[op] !== undefined);
  if (operators.length === 0) c.add(pointer, `must have at least one test: ${orList(OPERATORS)}`);
  for (const op of ['equals', 'not_equals']) {
    if (value[op] !== undefined && !isJsonValue(value[op])) c.add(`${pointer}/${op}`, 'must be a JSON value');
  }
  for (const op of ['in', 'not_in']) {
    const list = value[op];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_LIST_OPERAND_ITEMS) {
      c.add(`${pointer}/${op}`, `must be a list of 1 to ${MAX_LIST_OPERAND_ITEMS} values`);
    } else if (!list.every((item) => isJsonValue(item)))
      c.add(`${pointer}/${op}`, 'must contain only JSON values');
  }
  for (const op of ['lt', 'lte', 'gt', 'gte']) {
    const bound = value[op];
    if (bound !== undefined && (typeof bound !== 'number' || !Number.isFinite(bound)))
      c.add(`${pointer}/${op}`, 'must be a number');
  }
  if (value.exists !== undefined && typeof value.exists !== 'boolean')
    c.add(`${pointer}/exists`, 'must be true or false');
  if (value.regex !== undefined) {
    if (typeof value.regex !== 'string')
      c.add(`${pointer}/regex`, 'must be a regular expression written as text');
    else {
      const compiled = compileConditionRegex(value.regex);
      if (!compiled.ok) c.add(`${pointer}/regex`, compiled.message);
    }
  }
}

function checkCondition(c: Collector, pointer: string, value: unknown): void {
  if (!checkObject(c, pointer, value, CONDITION_KEYS, 'a condition like { "when": {…}, "action": "deny" }'))
    return;
  const when = value.when;
  if (when === undefined) c.add(`${pointer}/when`, 'is required');
  else if (Array.isArray(when)) {
    if (when.length === 0 || when.length > MAX_PREDICATES_PER_CONDITION) {
      c.add(`${pointer}/when`, `must list 1 to ${MAX_PREDICATES_PER_CONDITION} argument tests`);
    }
    when.forEach((predicate, i) => checkPredicate(c, `${pointer}/when/${i}`, predicate));
  } else checkPredicate(c, `${pointer}/when`, when);
  if (value.action === undefined) c.add(`${pointer}/action`, 'is required');
  else if (value.action === 'hide') {
    c.add(
      `${pointer}/action`,
      'cannot be hide inside a condition (listing cannot depend on arguments); use deny',
    );
  } else checkEnum(c, `${pointer}/action`, value.action, CONDITION_ACTIONS);
  checkReason(c, `${pointer}/reason`, value.reason);
}

function checkGuards(
  c: Collector,
  pointer: string,
  value: unknown,
  patterns: Record<string, string> | undefined,
): void {
  if (
    !checkObject(
      c,
      pointer,
      value,
      GUARD_DIRECTIONS,
      'content guards like { "results": { "secrets": "redact" } }',
    )
  )
    return;
  for (const direction of GUARD_DIRECTIONS) {
    const actions = value[direction];
    if (actions === undefined) continue;
    const at = `${pointer}/${direction}`;
    if (!isObject(actions)) {
      c.add(at, `must map detectors to block, redact, flag or off, not ${describe(actions)}`);
      continue;
    }
    for (const [detector, action] of Object.entries(actions)) {
      const detectorAt = `${at}/${pointerSegment(detector)}`;
      if (!isKnownDetector(detector, patterns)) {
        c.add(
          detectorAt,
          detector.startsWith(PATTERN_PREFIX)
            ? `names no pattern of this policy's "patterns"`
            : `is not a detector; use ${orList([...BUILT_IN_DETECTORS, 'pattern:<name>'])}`,
        );
        continue;
      }
      checkEnum(c, detectorAt, action, GUARD_ACTIONS);
    }
  }
}

function checkPatterns(c: Collector, value: unknown): void {
  if (!isObject(value)) {
    c.add('/patterns', 'must map pattern names to regular expressions (RE2 syntax)');
    return;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_PATTERNS) c.add('/patterns', `must have at most ${MAX_PATTERNS} patterns`);
  for (const [name, pattern] of entries) {
    const at = `/patterns/${pointerSegment(name)}`;
    if (!PATTERN_NAME.test(name))
      c.add(at, 'must be named with 1 to 40 lower-case letters, digits or _, starting with a letter');
    if (typeof pattern !== 'string' || pattern.length === 0)
      c.add(at, 'must be a regular expression written as text');
    else if (pattern.length > MAX_PATTERN_LENGTH)
      c.add(at, `must be at most ${MAX_PATTERN_LENGTH} characters long`);
  }
}

function checkRule(c: Collector, pointer: string, value: unknown, patterns?: Record<string, string>): void {
  if (!checkObject(c, pointer, value, RULE_KEYS, 'a tool rule')) return;
  if (value.action !== undefined) checkEnum(c, `${pointer}/action`, value.action, RULE_ACTIONS);
  checkReason(c, `${pointer}/reason`, value.reason);
  if (value.rate_limit !== undefined) checkLimit(c, `${pointer}/rate_limit`, value.rate_limit);
  if (value.limits !== undefined) {
    if (!Array.isArray(value.limits)) c.add(`${pointer}/limits`, 'must be a list of limits');
    else {
      if (value.limits.length > MAX_LIMITS_PER_RULE)
        c.add(`${pointer}/limits`, `must have at most ${MAX_LIMITS_PER_RULE} limits`);
      value.limits.forEach((limit, i) => checkLimit(c, `${pointer}/limits/${i}`, limit));
    }
  }
  if (value.conditions !== undefined && value.action === 'hide') {
    c.add(
      `${pointer}/conditions`,
      'cannot be used with action hide (a hidden tool is refused whatever its arguments); use deny with conditions instead',
    );
  } else if (value.conditions !== undefined) {
    if (!Array.isArray(value.conditions)) c.add(`${pointer}/conditions`, 'must be a list of conditions');
    else {
      if (value.conditions.length > MAX_CONDITIONS_PER_RULE) {
        c.add(`${pointer}/conditions`, `must have at most ${MAX_CONDITIONS_PER_RULE} conditions`);
      }
      value.conditions.forEach((condition, i) => checkCondition(c, `${pointer}/conditions/${i}`, condition));
    }
  }
  if (value.approval !== undefined) checkApproval(c, `${pointer}/approval`, value.approval);
  if (value.guards !== undefined) checkGuards(c, `${pointer}/guards`, value.guards, patterns);
}

function checkToolKey(c: Collector, pointer: string, key: string): void {
  if (key.length === 0 || key.length > MAX_TOOL_KEY_LENGTH) {
    c.add(
      pointer,
      `must be a tool name of 1 to ${MAX_TOOL_KEY_LENGTH} characters, a risk class (@read, @write, @destructive) or *`,
    );
  } else if (key.startsWith('@') && !Object.hasOwn(CLASS_RULE_KEYS, key)) {
    c.add(pointer, 'is not a risk class; use @read, @write or @destructive');
  }
}

/** Checks a parsed JSON policy document; on success returns it typed as PolicyDocument (unchanged). */
export function validatePolicy(doc: unknown): ValidationResult {
  const c = new Collector();
  if (checkObject(c, '', doc, TOP_LEVEL_KEYS, 'a policy document')) {
    const patterns = isObject(doc.patterns) ? (doc.patterns as Record<string, string>) : undefined;
    if (doc.patterns !== undefined) checkPatterns(c, doc.patterns);
    if (doc.guards !== undefined) checkGuards(c, '/guards', doc.guards, patterns);
    if (doc.version === undefined) c.add('/version', 'is required and must be "1"');
    else if (doc.version !== '1') c.add('/version', 'must be "1" (the text, in quotes)');
    if (doc.default === undefined) c.add('/default', 'is required and must be allow or deny');
    else checkEnum(c, '/default', doc.default, ['allow', 'deny']);
    if (doc.tools !== undefined) {
      if (!isObject(doc.tools))
        c.add('/tools', 'must be an object mapping tool names, risk classes or * to rules');
      else {
        for (const [key, rule] of Object.entries(doc.tools)) {
          const pointer = `/tools/${pointerSegment(key)}`;
          checkToolKey(c, pointer, key);
          checkRule(c, pointer, rule, patterns);
        }
      }
    }
    if (doc.approval !== undefined) checkApproval(c, '/approval', doc.approval);
    if (doc.audit !== undefined && checkObject(c, '/audit', doc.audit, ['arguments'], 'audit settings')) {
      if (doc.audit.arguments === undefined)
        c.add('/audit/arguments', 'is required and must be redacted or full');
      else checkEnum(c, '/audit/arguments', doc.audit.arguments, ['redacted', 'full']);
    }
    for (const feature of FEATURES) {
      const rule = doc[feature];
      if (
        rule === undefined ||
        !checkObject(
          c,
          `/${feature}`,
          rule,
          ['action', 'reason'],
          `a rule for ${feature} like { "action": "deny" }`,
        )
      )
        continue;
      if (rule.action === undefined) c.add(`/${feature}/action`, 'is required and must be allow or deny');
      else checkEnum(c, `/${feature}/action`, rule.action, ['allow', 'deny']);
      checkReason(c, `/${feature}/reason`, rule.reason);
    }
  }
  return c.errors.length === 0
    ? { ok: true, policy: doc as PolicyDocument }
    : { ok: false, errors: c.errors };
}

/** One line per error: `<pointer>: <message>` (the whole document is shown as `/`). */
export function formatPolicyErrors(errors: readonly PolicyError[]): string {
  return errors.map((e) => `${e.pointer === '' ? '/' : e.pointer}: ${e.message}`).join('\n');
}

export class PolicyValidationError extends Error {
  constructor(readonly errors: PolicyError[]) {
    super(`Invalid policy:\n${formatPolicyErrors(errors)}`);
    this.name = 'PolicyValidationError';
  }
}
