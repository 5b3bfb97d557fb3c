// Tenant patterns run on RE2 (the `re2` package, a native addon built at install), whose matching
// time is linear in the text whatever the pattern: no tenant can stall the gateway with (a+)+$.
// RE2 refuses what it cannot run in linear time (backreferences, lookaround) at save, with its reason.
import RE2 from 're2';
import type { PolicyError } from '@portcullis/policy/types';
import { PATTERN_PREFIX } from '@portcullis/policy/guards';
import type { Span } from './span.ts';

type Compiled = { ok: true; regex: RE2 } | { ok: false; message: string };

/** Compiled patterns by source text, shared across policies (bounded: oldest dropped first). */
const cache = new Map<string, Compiled>();
const MAX_CACHED = 1000;

const INLINE_FLAGS = /^\(\?([ims]+)\)/;

export function compileTenantPattern(source: string): Compiled {
  const cached = cache.get(source);
  if (cached) return cached;
  let compiled: Compiled;
  try {
    // RE2 takes (?i) itself; `g` finds every match, `u` keeps indices in code points of the JS string.
    const inline = INLINE_FLAGS.exec(source);
    const body = inline ? source.slice(inline[0].length) : source;
    const flags = 'gu' + (inline ? [...new Set(inline[1])].join('') : '');
    compiled = { ok: true, regex: new RE2(body, flags) };
    if (compiled.regex.test('')) {
      compiled = { ok: false, message: 'must not match empty text (it would match everywhere)' };
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    compiled = { ok: false, message: `is not a valid RE2 pattern (${detail})` };
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(source, compiled);
  return compiled;
}

/** Errors for a policy's `patterns` (pointer `/patterns/<name>`), for the save path and the editor's server check. */
export function checkTenantPatterns(patterns: Readonly<Record<string, unknown>> | undefined): PolicyError[] {
  const errors: PolicyError[] = [];
  for (const [name, source] of Object.entries(patterns ?? {})) {
    if (typeof source !== 'string') continue;
    const compiled = compileTenantPattern(source);
    if (!compiled.ok) errors.push({ pointer: `/patterns/${name}`, message: compiled.message });
  }
  return errors;
}

export function findTenantPattern(detector: string, source: string, text: string, out: Span[]): void {
  const compiled = compileTenantPattern(source);
  if (!compiled.ok) return;
  const regex = compiled.regex;
  // RE2 matches UTF-8: handed a string, it converts it on every exec, which is most of the cost of
  // a short text. ASCII text is handed over as its bytes, whose offsets are the string's offsets.
  const bytes = Buffer.from(text, 'utf8');
  const subject = bytes.length === text.length ? bytes : text;
  regex.lastIndex = 0;
  for (;;) {
    const match = typeof subject === 'string' ? regex.exec(subject) : regex.exec(subject);
    if (match === null) return;
    const length = match[0].length;
    out.push({ detector, start: match.index, end: match.index + length });
    if (length === 0) regex.lastIndex++;
  }
}

export function patternDetectorName(name: string): string {
  return `${PATTERN_PREFIX}${name}`;
}
