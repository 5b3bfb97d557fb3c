// Content guards of the policy language: which detector does what to a call's arguments and to
// its result. Pure and browser-safe (the editor validates with it); the detectors themselves live
// in @portcullis/guardrails, which the gateway and the dashboard's server side run.

export const BUILT_IN_DETECTORS = [
  'secrets',
  'email',
  'phone',
  'payment_card',
  'iban',
  'national_id',
  'injection',
] as const;
export type BuiltInDetector = (typeof BUILT_IN_DETECTORS)[number];

/** `off` turns off, for one tool, a guard the server-wide `guards` sets. */
export const GUARD_ACTIONS = ['block', 'redact', 'flag', 'off'] as const;
export type GuardAction = (typeof GUARD_ACTIONS)[number];

export const GUARD_DIRECTIONS = ['arguments', 'results'] as const;
export type GuardDirection = (typeof GUARD_DIRECTIONS)[number];

/** Detector name (built-in, or `pattern:<name>` for a tenant pattern) → action. */
export type GuardActions = Record<string, GuardAction>;

export interface GuardSettings {
  arguments?: GuardActions;
  results?: GuardActions;
}

/** Tenant pattern names: short identifiers, used in `pattern:<name>` and in `[REDACTED:pattern:<name>]`. */
export const PATTERN_NAME = /^[a-z][a-z0-9_]{0,39}$/;
export const MAX_PATTERNS = 20;
export const MAX_PATTERN_LENGTH = 500;
export const PATTERN_PREFIX = 'pattern:';

/** What one call's guards are, per direction, after the tool's guards were laid over the server's. */
export interface EffectiveGuards {
  arguments: ReadonlyMap<string, Exclude<GuardAction, 'off'>>;
  results: ReadonlyMap<string, Exclude<GuardAction, 'off'>>;
}

export const NO_GUARDS: EffectiveGuards = Object.freeze({
  arguments: new Map(),
  results: new Map(),
});

/**
 * The server-wide `guards` with a tool rule's `guards` laid over them, detector by detector: a tool
 * names only what differs (`"secrets": "off"` turns one off for that tool).
 */
export function mergeGuards(
  server: GuardSettings | undefined,
  tool: GuardSettings | undefined,
): EffectiveGuards {
  if (!server && !tool) return NO_GUARDS;
  const direction = (which: GuardDirection) => {
    const merged = new Map<string, Exclude<GuardAction, 'off'>>();
    for (const layer of [server?.[which], tool?.[which]]) {
      for (const [detector, action] of Object.entries(layer ?? {})) {
        if (action === 'off') merged.delete(detector);
        else merged.set(detector, action);
      }
    }
    return merged;
  };
  return { arguments: direction('arguments'), results: direction('results') };
}

export function isKnownDetector(
  name: string,
  patterns: Readonly<Record<string, string>> | undefined,
): boolean {
  if ((BUILT_IN_DETECTORS as readonly string[]).includes(name)) return true;
  if (!name.startsWith(PATTERN_PREFIX)) return false;
  const pattern = name.slice(PATTERN_PREFIX.length);
  return patterns !== undefined && Object.hasOwn(patterns, pattern);
}
