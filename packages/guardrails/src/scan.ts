// Runs a call's guards over its arguments or its result: finds, then blocks, redacts or flags.
// Every string of the value is scanned (object keys are not), except the fields of a result that
// are protocol words or binary (type, mimeType, blob); so text content, embedded resources' text,
// structuredContent at any depth and _meta are all covered.
import type { GuardAction } from '@portcullis/policy/guards';
import { BUILT_IN_DETECTORS, PATTERN_PREFIX } from '@portcullis/policy/guards';
import { findInjections } from './injection.ts';
import { DETECTOR_KEYWORDS } from './keyword-index.ts';
import { findCards, findEmails, findIbans, findNationalIds, findPhones } from './personal-data.ts';
import { findSecrets } from './secret-rules.ts';
import type { Span } from './span.ts';
import { findTenantPattern } from './tenant-patterns.ts';

export type ActiveGuardAction = Exclude<GuardAction, 'off'>;
export type ActiveGuards = ReadonlyMap<string, ActiveGuardAction>;

/**
 * The oversized-content rule: at most this many characters of one value (all its strings together)
 * are scanned. Past it, a value whose guards block or redact is refused as too large to check;
 * with only flag guards it passes, flagged `oversized`. Nothing is skipped silently.
 */
export const MAX_SCAN_CHARS = 2 * 1024 * 1024;
/** Characters each side of the boundary between two consecutive text blocks scanned together. */
export const JUNCTION_CHARS = 256;
/** Findings kept per value (the rest are counted in the last one's total). */
export const MAX_FINDINGS = 20;

export const OVERSIZED = 'oversized';

export interface GuardFinding {
  detector: string;
  /** JSON pointer inside the arguments or the result, e.g. `/content/0/text` or `/query`. */
  where: string;
  count: number;
  action: ActiveGuardAction;
}

export interface GuardOutcome<T> {
  /** The value to pass on: the original, or a redacted copy. */
  value: T;
  /** Set when a block guard fired (or the value is too large to check under block/redact guards). */
  blocked?: { detector: string; where: string };
  /** The value with every finding (whatever its action) redacted: what an audit log may keep. */
  audited: T;
  findings: GuardFinding[];
  redacted: boolean;
}

/** `found` is DETECTOR_KEYWORDS.search(text) (empty when no finder of the run needs it). */
type Finder = (text: string, out: Span[], found: Uint8Array) => void;
const BUILT_IN_FINDERS: Record<(typeof BUILT_IN_DETECTORS)[number], Finder> = {
  secrets: findSecrets,
  email: findEmails,
  phone: findPhones,
  payment_card: findCards,
  iban: findIbans,
  national_id: findNationalIds,
  injection: findInjections,
};

interface Slot {
  path: Array<string | number>;
  text: string;
  /** How much of `text` is scanned (all of it unless the budget ran out). */
  scanned: number;
  spans: Span[];
}

/** Result fields that are protocol words or binary data, not text meant for the model. */
const RESULT_SKIPPED_KEYS = new Set(['type', 'mimeType', 'blob']);
const MAX_DEPTH = 128;

function finderFor(detector: string, patterns: Readonly<Record<string, string>>): Finder | undefined {
  if (Object.hasOwn(BUILT_IN_FINDERS, detector))
    return BUILT_IN_FINDERS[detector as keyof typeof BUILT_IN_FINDERS];
  if (detector.startsWith(PATTERN_PREFIX)) {
    const source = patterns[detector.slice(PATTERN_PREFIX.length)];
    if (typeof source === 'string') return (text, out) => findTenantPattern(detector, source, text, out);
  }
  return undefined;
}

function pointer(path: ReadonlyArray<string | number>): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

class Collector {
  readonly slots: Slot[] = [];
  remaining = MAX_SCAN_CHARS;
  oversized = false;
  constructor(private readonly skipped: ReadonlySet<string>) {}

  walk(value: unknown, path: Array<string | number>, depth: number): void {
    if (typeof value === 'string') {
      if (value.length === 0) return;
      if (this.remaining <= 0) {
        this.oversized = true;
        return;
      }
      const scanned = Math.min(value.length, this.remaining);
      if (scanned < value.length) this.oversized = true;
      this.remaining -= scanned;
      this.slots.push({ path: [...path], text: value, scanned, spans: [] });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (depth >= MAX_DEPTH) {
      this.oversized = true;
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        this.walk(value[i], path, depth + 1);
        path.pop();
      }
      return;
    }
    for (const key of Object.keys(value)) {
      if (this.skipped.has(key)) continue;
      path.push(key);
      this.walk((value as Record<string, unknown>)[key], path, depth + 1);
      path.pop();
    }
  }
}

/** The built-in detectors that look the text up in DETECTOR_KEYWORDS before running their regexes. */
const KEYWORD_DETECTORS = new Set(['secrets', 'injection']);
const NO_KEYWORDS = new Uint8Array(0);

/** Runs the finders over one text; the keyword search, when one needs it, is done once for all. */
function run(finders: Array<[string, Finder]>, text: string, out: Span[]): void {
  const found = finders.some(([detector]) => KEYWORD_DETECTORS.has(detector))
    ? DETECTOR_KEYWORDS.search(text)
    : NO_KEYWORDS;
  for (const [, find] of finders) find(text, out, found);
}

/** Between strings scanned together: no built-in detector matches across a NUL and two newlines. */
const SEPARATOR = '\n\u0000\n';

/**
 * Runs the finders over every slot. A value's strings are scanned as one text, joined by SEPARATOR,
 * for the built-in detectors: one keyword search and one run of each detector's regexes per value,
 * not per string (each has a cost per call besides its cost per character). Matches are mapped
 * back to their string and never extend past it. Tenant patterns run string by string,
 * so their anchors (^, $) keep meaning the start and end of a value.
 */
function scanSlots(slots: Slot[], finders: Array<[string, Finder]>, glued: readonly boolean[] = []): void {
  if (slots.length === 0 || finders.length === 0) return;
  const joined: Array<[string, Finder]> = [];
  const single: Array<[string, Finder]> = [];
  for (const f of finders) (f[0].startsWith(PATTERN_PREFIX) ? single : joined).push(f);
  const texts = slots.map((slot) =>
    slot.scanned === slot.text.length ? slot.text : slot.text.slice(0, slot.scanned),
  );
  if (single.length > 0) texts.forEach((text, i) => run(single, text, slots[i]!.spans));
  if (joined.length === 0) return;
  if (slots.length === 1) return run(joined, texts[0]!, slots[0]!.spans);
  const starts: number[] = [];
  let at = 0;
  let whole = '';
  texts.forEach((text, i) => {
    starts.push(at);
    const gap = i < texts.length - 1 ? (glued[i] ? '' : SEPARATOR) : '';
    whole += text + gap;
    at += text.length + gap.length;
  });
  const spans: Span[] = [];
  run(joined, whole, spans);
  for (const span of spans) {
    // The last slot starting at or before the match.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= span.start) lo = mid;
      else hi = mid - 1;
    }
    let start = span.start - starts[lo]!;
    if (start >= texts[lo]!.length) continue; // inside a separator
    // A match may run on into the next text block when the two are glued (a secret split across
    // blocks): each block gets its part.
    for (let k = lo; ; k += 1) {
      const length = texts[k]!.length;
      const end = span.end - starts[k]!;
      slots[k]!.spans.push({ detector: span.detector, start, end: Math.min(end, length) });
      if (end <= length || !glued[k] || k + 1 >= texts.length) break;
      start = 0;
    }
  }
}

/**
 * Which consecutive slots are consecutive text blocks of a result's content, both scanned whole:
 * those are scanned as one text, so a match split across the two is found and redacted in both.
 */
function textBlockGlue(result: unknown, slots: readonly Slot[]): boolean[] {
  const content = (result as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return [];
  const block = (slot: Slot): number | undefined =>
    slot.path.length === 3 &&
    slot.path[0] === 'content' &&
    slot.path[2] === 'text' &&
    (content[slot.path[1] as number] as { type?: unknown } | undefined)?.type === 'text' &&
    slot.scanned === slot.text.length
      ? (slot.path[1] as number)
      : undefined;
  return slots.slice(0, -1).map((slot, k) => {
    const here = block(slot);
    const next = block(slots[k + 1]!);
    return here !== undefined && next === here + 1;
  });
}

/**
 * A secret split across two consecutive text blocks of a result is found by scanning the last and
 * first JUNCTION_CHARS characters of the pair together; a match that crosses the boundary counts in
 * both blocks, and redaction removes its part in each.
 */
function scanJunctions(result: unknown, slots: Slot[], finders: Array<[string, Finder]>): void {
  const content = (result as { content?: unknown }).content;
  if (!Array.isArray(content)) return;
  const textSlot = new Map<number, Slot>();
  for (const slot of slots) {
    if (slot.path.length === 3 && slot.path[0] === 'content' && slot.path[2] === 'text') {
      const block = content[slot.path[1] as number] as { type?: unknown } | undefined;
      if (block?.type === 'text' && slot.scanned === slot.text.length)
        textSlot.set(slot.path[1] as number, slot);
    }
  }
  for (const [index, left] of textSlot) {
    const right = textSlot.get(index + 1);
    if (!right) continue;
    const tail = left.text.slice(-JUNCTION_CHARS);
    const head = right.text.slice(0, JUNCTION_CHARS);
    const spans: Span[] = [];
    run(finders, tail + head, spans);
    for (const span of spans) {
      if (span.start >= tail.length || span.end <= tail.length) continue;
      left.spans.push({
        detector: span.detector,
        start: left.text.length - tail.length + span.start,
        end: left.text.length,
      });
      right.spans.push({ detector: span.detector, start: 0, end: span.end - tail.length });
    }
  }
}

/** Replaces redacted spans (merged where they overlap) with [REDACTED:<detector>]. */
function redactText(text: string, spans: Span[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const span of sorted) {
    if (span.end <= at) continue;
    const start = Math.max(span.start, at);
    out += text.slice(at, start) + `[REDACTED:${span.detector}]`;
    at = span.end;
  }
  return out + text.slice(at);
}

function setAt(root: unknown, path: ReadonlyArray<string | number>, value: string): void {
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]!] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

function guardValue<T>(
  value: T,
  guards: ActiveGuards,
  patterns: Readonly<Record<string, string>>,
  kind: 'arguments' | 'result',
): GuardOutcome<T> {
  if (guards.size === 0) return { value, audited: value, findings: [], redacted: false };
  const finders: Array<[string, Finder]> = [];
  for (const detector of guards.keys()) {
    const finder = finderFor(detector, patterns);
    if (finder) finders.push([detector, finder]);
  }
  const collector = new Collector(kind === 'result' ? RESULT_SKIPPED_KEYS : new Set());
  collector.walk(value, [], 0);
  const glued = kind === 'result' ? textBlockGlue(value, collector.slots) : [];
  scanSlots(collector.slots, finders, glued);
  // Built-in detectors saw glued blocks as one text; tenant patterns run per string, so their
  // matches across two blocks are found at the junction.
  const patternFinders = finders.filter(([name]) => name.startsWith(PATTERN_PREFIX));
  if (kind === 'result' && patternFinders.length > 0) scanJunctions(value, collector.slots, patternFinders);

  const findings: GuardFinding[] = [];
  let blocked: GuardOutcome<T>['blocked'];
  let toRedact = false;
  for (const slot of collector.slots) {
    if (slot.spans.length === 0) continue;
    const counts = new Map<string, number>();
    for (const span of slot.spans) counts.set(span.detector, (counts.get(span.detector) ?? 0) + 1);
    const where = pointer(slot.path);
    for (const [detector, count] of counts) {
      const action = guards.get(detector)!;
      if (action === 'block' && !blocked) blocked = { detector, where };
      if (action === 'redact') toRedact = true;
      if (findings.length < MAX_FINDINGS) findings.push({ detector, where, count, action });
      else findings[MAX_FINDINGS - 1]!.count += count;
    }
  }
  if (collector.oversized) {
    const strict = [...guards.values()].some((action) => action !== 'flag');
    findings.push({ detector: OVERSIZED, where: '', count: 1, action: strict ? 'block' : 'flag' });
    if (strict && !blocked) blocked = { detector: OVERSIZED, where: '' };
  }
  const audited = findings.length === 0 ? value : redactCopy(value, collector.slots, () => true);
  if (blocked) return { value, audited, blocked, findings, redacted: false };
  if (!toRedact) return { value, audited, findings, redacted: false };
  const passed = redactCopy(value, collector.slots, (span) => guards.get(span.detector) === 'redact');
  return { value: passed, audited, findings, redacted: true };
}

/** A copy of `value` with the spans `which` selects replaced; the original is not changed. */
function redactCopy<T>(value: T, slots: readonly Slot[], which: (span: Span) => boolean): T {
  let copy: T | undefined;
  for (const slot of slots) {
    const spans = slot.spans.filter(which);
    if (spans.length === 0) continue;
    const text = redactText(slot.text, spans);
    if (slot.path.length === 0) return text as T;
    copy ??= structuredClone(value);
    setAt(copy, slot.path, text);
  }
  return copy ?? value;
}

/** Guards on a call's arguments, before they are forwarded. */
export function guardArguments(
  args: Record<string, unknown>,
  guards: ActiveGuards,
  patterns: Readonly<Record<string, string>>,
): GuardOutcome<Record<string, unknown>> {
  return guardValue(args, guards, patterns, 'arguments');
}

/** Guards on a tool's result, before the agent sees it. */
export function guardResult<T>(
  result: T,
  guards: ActiveGuards,
  patterns: Readonly<Record<string, string>>,
): GuardOutcome<T> {
  return guardValue(result, guards, patterns, 'result');
}

/** Finds every detector in a text (for tests, the simulator and descriptions). */
export function findAll(
  text: string,
  detectors: readonly string[],
  patterns: Readonly<Record<string, string>> = {},
): Span[] {
  const out: Span[] = [];
  const finders: Array<[string, Finder]> = [];
  for (const detector of detectors) {
    const finder = finderFor(detector, patterns);
    if (finder) finders.push([detector, finder]);
  }
  run(finders, text, out);
  return out;
}

/** The sentence for the agent when a guard blocks: the detector and where, never the value. */
export function blockedReason(
  direction: 'arguments' | 'result',
  blocked: { detector: string; where: string },
): string {
  if (blocked.detector === OVERSIZED) {
    return direction === 'arguments'
      ? `The call's arguments are too large for the content guards to check (more than ${MAX_SCAN_CHARS} characters of text); send less`
      : `The tool's result was withheld: it is too large for the content guards to check (more than ${MAX_SCAN_CHARS} characters of text)`;
  }
  const at = blocked.where === '' ? '' : ` at ${blocked.where}`;
  return direction === 'arguments'
    ? `Blocked by the content guard ${blocked.detector}: the arguments${at} contain what it detects; remove it and call again`
    : `The tool's result was withheld by the content guard ${blocked.detector}: it found what it detects${at}`;
}
