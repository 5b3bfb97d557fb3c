// Compiling the `regex` operator of argument conditions. Patterns come from policy authors but run
// on every matching call inside the gateway, so they are length-capped and screened for the shapes
// that make backtracking engines take exponential time.

export const MAX_REGEX_LENGTH = 500;

const INLINE_FLAGS = /^\(\?([ims]+)\)/;

export type RegexCompileResult = { ok: true; regex: RegExp } | { ok: false; message: string };

/** Accepts a JavaScript pattern, optionally starting with PCRE-style inline flags such as `(?i)`. */
export function compileConditionRegex(pattern: string): RegexCompileResult {
  if (pattern.length === 0) return { ok: false, message: 'must not be an empty pattern' };
  if (pattern.length > MAX_REGEX_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_REGEX_LENGTH} characters long` };
  }
  let source = pattern;
  let flags = 'u';
  const inline = INLINE_FLAGS.exec(source);
  if (inline) {
    flags += [...new Set(inline[1])].join('');
    source = source.slice(inline[0].length);
  }
  const risky = findCatastrophicShape(source);
  if (risky) return { ok: false, message: risky };
  try {
    return { ok: true, regex: new RegExp(source, flags) };
  } catch (error) {
    const detail =
      error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error);
    return { ok: false, message: `is not a valid regular expression (${detail})` };
  }
}

/**
 * Rejects a quantified group that itself contains a quantifier or an alternation, e.g. `(a+)+`,
 * `(\w*)*`, `(a|aa)+`: the classic exponential-backtracking shapes. Also rejects backreferences,
 * which make matching NP-hard in general. A heuristic: it errs towards rejecting.
 */
function findCatastrophicShape(source: string): string | undefined {
  // Per open group: does it contain a quantifier or alternation?
  const stack: Array<{ risky: boolean }> = [];
  let inClass = false;
  let unbounded = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next))
        return 'must not use backreferences (they can make matching very slow)';
      if (!inClass && next === 'k' && source[i + 2] === '<') {
        return 'must not use backreferences (they can make matching very slow)';
      }
      // \u{…}, \p{…}, \P{…}: the braces are part of the escape, not a quantifier.
      if ((next === 'u' || next === 'p' || next === 'P') && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        if (close !== -1) {
          i = close;
          continue;
        }
      }
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      continue;
    }
    if (ch === '(') {
      stack.push({ risky: false });
      continue;
    }
    if (ch === ')') {
      const group = stack.pop();
      const quantified = isQuantifierAt(source, i + 1);
      if (group?.risky && quantified) {
        return 'must not repeat a group that itself contains a repetition or alternation, e.g. (a+)+ (such patterns can take exponential time)';
      }
      const parent = stack[stack.length - 1];
      if (parent && (group?.risky || quantified)) parent.risky = true;
      continue;
    }
    if (isUnboundedQuantifierAt(source, i) && ++unbounded > 1) {
      return 'must not repeat more than one part without a small upper bound (e.g. .*x.* or \\s*\\w+); write bounds such as \\w{1,64} (such patterns can take minutes on long text)';
    }
    if (ch === '|' || isQuantifierAt(source, i)) {
      const top = stack[stack.length - 1];
      if (top) top.risky = true;
    }
  }
  return undefined;
}

/** Most repetitions a bounded quantifier may range over before it is treated like `*`. */
const MAX_QUANTIFIER_SPAN = 1000;

/**
 * `*`, `+`, `{n,}` or a `{n,m}` with a wide range. Two of these in one unanchored pattern make a
 * backtracking search polynomial of degree 3 or more (`.*.*.*x` takes a minute on 1,000 characters).
 */
function isUnboundedQuantifierAt(source: string, index: number): boolean {
  const ch = source[index];
  if (ch === '*' || ch === '+') return true;
  if (ch !== '{') return false;
  const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(index));
  if (!braces || braces[2] === undefined) return false;
  if (braces[3] === '') return true;
  return Number(braces[3]) - Number(braces[1]) > MAX_QUANTIFIER_SPAN;
}

function isQuantifierAt(source: string, index: number): boolean {
  const ch = source[index];
  if (ch === '*' || ch === '+') return true;
  // `?` after `(` is a group modifier, handled by the caller never reaching here for it.
  if (ch === '{') return /^\{\d+(,\d*)?\}/.test(source.slice(index));
  return false;
}
