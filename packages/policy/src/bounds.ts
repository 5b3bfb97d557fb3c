import type { WINDOW_NAMES } from './types.ts';
// Bounds and defaults of the policy language, shared by the validator, the compiler and the JSON Schema.

export const WINDOW_UNITS_MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const satisfies Record<(typeof WINDOW_NAMES)[number], number>;
export type WindowUnit = keyof typeof WINDOW_UNITS_MS;

/** Numeric windows are seconds; 31 days is the longest a counter is kept. */
export const MIN_WINDOW_SECONDS = 0.001;
export const MAX_WINDOW_SECONDS = 31 * 86_400;

export const MAX_LIMIT_MAX = 1_000_000;

export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 300;
/** One day: longer than that, a pending call is better re-requested by the agent. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 86_400;

export const MAX_REASON_LENGTH = 500;
export const MAX_TOOL_KEY_LENGTH = 200;
export const MAX_ARG_PATH_LENGTH = 200;
export const MAX_CONDITIONS_PER_RULE = 100;
export const MAX_PREDICATES_PER_CONDITION = 20;
export const MAX_LIMITS_PER_RULE = 20;
export const MAX_LIST_OPERAND_ITEMS = 1_000;
export const COUNTER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99}$/;

export const CLASS_RULE_KEYS = { '@read': 'read', '@write': 'write', '@destructive': 'destructive' } as const;
export const ALL_TOOLS_KEY = '*';

export function windowToMs(window: WindowUnit | number): number {
  return typeof window === 'number' ? Math.round(window * 1000) : WINDOW_UNITS_MS[window];
}

/** A named window unit, by own key only (`'constructor' in WINDOW_UNITS_MS` is true). */
export function isWindowUnit(value: unknown): value is WindowUnit {
  return typeof value === 'string' && Object.hasOwn(WINDOW_UNITS_MS, value);
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
