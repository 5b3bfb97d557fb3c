// Types of the policy document (v1) and of the evaluator's inputs and outputs.
// The document types describe a policy that has passed `validatePolicy`.

import type { GuardSettings } from './guards.ts';

export type RiskCategory = 'read' | 'write' | 'destructive';
export type RiskSeverity = 'low' | 'medium' | 'high';

/** What a rule or condition does with a call. `hide` also removes the tool from tools/list. */
export const RULE_ACTIONS = ['allow', 'deny', 'hide', 'require_approval'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];
/** Conditions cannot hide: whether a tool is listed must not depend on arguments. */
export const CONDITION_ACTIONS = [
  'allow',
  'deny',
  'require_approval',
] as const satisfies readonly RuleAction[];
export type ConditionAction = (typeof CONDITION_ACTIONS)[number];

/** Whose calls share one counter. */
export type CounterScope = 'grant' | 'session' | 'server' | 'org' | 'upstream';
export const COUNTER_SCOPES: readonly CounterScope[] = ['grant', 'session', 'server', 'org', 'upstream'];

/** Named window units; a window may also be a number of seconds. */
export const WINDOW_NAMES = ['second', 'minute', 'hour', 'day'] as const;
/** Sliding window length: a named unit or a number of seconds. */
export type LimitWindow = (typeof WINDOW_NAMES)[number] | number;

/** The tests an argument predicate may make (keys of ArgumentPredicate besides `arg`). */
export const PREDICATE_OPERATORS = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'regex',
  'lt',
  'lte',
  'gt',
  'gte',
  'exists',
] as const;
export type PredicateOperator = (typeof PREDICATE_OPERATORS)[number];

export interface LimitSpec {
  /** Counter name; limits with the same name, scope and window share one budget. Defaults to one derived from the rule. */
  counter?: string;
  window: LimitWindow;
  max: number;
  /** Defaults to `grant`. */
  scope?: CounterScope;
}

/** `rate_limit` shorthand: `{ "max": 10, "window": 60 }` is 10 calls per 60 seconds. */
export type RateLimitSpec = LimitSpec;

/** A test on one argument. Several operators in one predicate must all hold. */
export interface ArgumentPredicate {
  /** Dot path inside the call's arguments, e.g. `text` or `options.count` or `ids.0`. */
  arg: string;
  equals?: unknown;
  not_equals?: unknown;
  in?: unknown[];
  not_in?: unknown[];
  /** JavaScript regular expression; a leading `(?i)`, `(?s)`, `(?m)` (or combination) sets flags. Searched, not anchored. */
  regex?: string;
  lt?: number;
  lte?: number;
  gt?: number;
  gte?: number;
  /** true: the argument is present and not null; false: it is absent or null. */
  exists?: boolean;
}

export interface Condition {
  /** One predicate, or a list that must all hold. */
  when: ArgumentPredicate | ArgumentPredicate[];
  action: ConditionAction;
  reason?: string;
}

export interface ApprovalSettings {
  /** Seconds a pending approval waits before it counts as denied. */
  timeout: number;
}

export interface ToolRule {
  /** Defaults to `allow`. Used when no condition matches. */
  action?: RuleAction;
  reason?: string;
  rate_limit?: RateLimitSpec;
  limits?: LimitSpec[];
  /** Checked in order; the first whose `when` holds decides the action. */
  conditions?: Condition[];
  approval?: ApprovalSettings;
  /** Content guards for this tool, laid over the policy's `guards` detector by detector. */
  guards?: GuardSettings;
}

export interface PolicyDocument {
  version: '1';
  default: 'allow' | 'deny';
  /** Keys: a tool name, `@read` / `@write` / `@destructive` (a risk class), or `*` (every tool). */
  tools?: Record<string, ToolRule>;
  /** Default approval settings for rules without their own. */
  approval?: ApprovalSettings;
  /** How the gateway stores call arguments in the audit log. */
  audit?: { arguments: 'redacted' | 'full' };
  /** resources/list, templates, read, subscribe, and completion of resource templates. Absent: the policy default. */
  resources?: FeatureRule;
  /** prompts/list, prompts/get, and completion of prompt arguments. Absent: the policy default. */
  prompts?: FeatureRule;
  /** Content guards of every tool of the server: detector → block / redact / flag, per direction. */
  guards?: GuardSettings;
  /** Tenant patterns (RE2 syntax) by name; a guard names one as `pattern:<name>`. */
  patterns?: Record<string, string>;
}

/** The MCP features besides tools that a server may offer; each is allowed or denied as a whole. */
export type Feature = 'resources' | 'prompts';
export const FEATURES: readonly Feature[] = ['resources', 'prompts'];

export interface FeatureRule {
  action: 'allow' | 'deny';
  reason?: string;
}

export interface ToolCall {
  tool: string;
  args: Record<string, unknown>;
  /** Risk of the tool from the catalog; without it, class rules (`@read`…) are skipped. */
  risk?: { category: RiskCategory };
}

/** One counter the gateway must consume (atomically, with the others) before forwarding an allowed call. */
export interface CounterRequest {
  name: string;
  scope: CounterScope;
  windowMs: number;
  max: number;
  /** JSON pointer of the limit that asked for it, e.g. `/tools/send_tweet/limits/0` or `/tools/send_tweet/rate_limit`. */
  rule: string;
  /**
   * True when the limit has a `counter` name, which other limits (and other servers' policies, for
   * org and upstream scope) may share on purpose. An unnamed limit counts for its own policy only.
   */
  named: boolean;
}

export type DecisionEffect = 'allow' | 'deny' | 'hide' | 'require_approval' | 'rate_limited';

export interface Decision {
  effect: DecisionEffect;
  /** JSON pointer of what decided (`/tools/x`, `/tools/x/conditions/0`, `/tools/x/limits/0`) or `(default)`. */
  rule: string;
  /** For the agent: why the call was not allowed. */
  reason?: string;
  /** Counters to consume if the call goes ahead (allow, or require_approval once approved). Empty otherwise. */
  counters: CounterRequest[];
  /** Present when effect is require_approval. */
  approval?: { timeoutMs: number };
  /** Present when effect is rate_limited. */
  retryAfterMs?: number;
}

/** What a counter store answered for a decision's counters. Structural match for @portcullis/counters' reserve result. */
export type CounterOutcome = { ok: true } | { ok: false; counter: CounterRequest; retryAfterMs: number };

/** Identifiers used to build counter keys, one per scope. */
export interface CounterScopeIds {
  grantId?: string;
  sessionId?: string;
  serverId?: string;
  orgId?: string;
  upstreamId?: string;
  /** The grant (and its sessions) span several servers' policies: a toolset grant (docs/toolsets.md). */
  acrossServers?: boolean;
}

export interface PolicyError {
  /** JSON pointer to the offending value ('' is the whole document). */
  pointer: string;
  message: string;
}

export type ValidationResult = { ok: true; policy: PolicyDocument } | { ok: false; errors: PolicyError[] };
