// Which of many keywords occur in a text, in one pass over it: an Aho-Corasick automaton with ASCII
// letters folded to lower case (as gitleaks does with its rules' `keywords`), so a keyword is found
// in any case. The text is copied as latin1 bytes into a reused buffer and the automaton walks the
// bytes (on V8, several times faster than charCodeAt over a joined string). A character above
// U+00FF becomes its low byte, which can only add hits: keywords are ASCII, so every ASCII
// occurrence of one is still read as it is.
//
// The walk is four walks, one per quarter of the text, in one loop: each step of a walk waits on
// the table load of the step before, so four independent ones go about three times as fast. Each
// starts the length of the longest keyword less one before its quarter, so a keyword across a
// boundary is read whole by the walk of the quarter it ends in.
const BYTES = 256;
const fold = (code: number) => (code >= 65 && code <= 90 ? code + 32 : code);

/** Text up to this many characters is copied into one reused buffer; longer text gets its own. */
const SCRATCH_BYTES = 64 * 1024;
let scratch = Buffer.allocUnsafe(0);

interface Automaton {
  /** next[state * 256 + byte]: the state after reading `byte` (failure links folded in). */
  next: Uint16Array | Uint32Array;
  /** States are numbered so that those where a keyword ends are `firstHit` and above. */
  firstHit: number;
  /** hits[state - firstHit]: the groups whose keywords end at that state. */
  hits: number[][];
  /** The length of the longest keyword, less one. */
  overlap: number;
}

/** `groups[i]` are the keywords of group i: each non-empty printable ASCII. */
function build(groups: ReadonlyArray<readonly string[]>): Automaton {
  const goto: Array<Map<number, number>> = [new Map()];
  const ends: Array<Set<number>> = [new Set()];
  groups.forEach((keywords, group) => {
    for (const keyword of keywords) {
      let state = 0;
      for (let i = 0; i < keyword.length; i++) {
        const code = fold(keyword.charCodeAt(i));
        let to = goto[state]!.get(code);
        if (to === undefined) {
          to = goto.length;
          goto.push(new Map());
          ends.push(new Set());
          goto[state]!.set(code, to);
        }
        state = to;
      }
      ends[state]!.add(group);
    }
  });
  // Breadth first: a state's failure link is the longest proper suffix that is also a prefix, and
  // the keywords ending at its failure state end at it too.
  const count = goto.length;
  const delta = new Int32Array(count * BYTES);
  const fail = new Int32Array(count);
  const queue: number[] = [];
  for (let byte = 0; byte < BYTES; byte++) {
    const to = goto[0]!.get(fold(byte)) ?? 0;
    delta[byte] = to;
    if (to !== 0 && byte === fold(byte)) queue.push(to);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    for (const group of ends[fail[state]!]!) ends[state]!.add(group);
    for (let byte = 0; byte < BYTES; byte++) {
      const to = goto[state]!.get(fold(byte));
      const viaFail = delta[fail[state]! * BYTES + byte]!;
      if (to === undefined) {
        delta[state * BYTES + byte] = viaFail;
      } else {
        delta[state * BYTES + byte] = to;
        // Reached on both cases of a letter: set up once.
        if (byte === fold(byte)) {
          fail[to] = viaFail;
          queue.push(to);
        }
      }
    }
  }
  // Renumber: states without hits first (0 stays the start), then those with hits.
  const order = [...Array(count).keys()].sort(
    (a, b) => Number(ends[a]!.size > 0) - Number(ends[b]!.size > 0),
  );
  const renamed = new Int32Array(count);
  order.forEach((state, index) => (renamed[state] = index));
  const firstHit = ends.filter((end) => end.size === 0).length;
  const next = count <= 0xffff ? new Uint16Array(count * BYTES) : new Uint32Array(count * BYTES);
  for (let state = 0; state < count; state++) {
    for (let byte = 0; byte < BYTES; byte++)
      next[renamed[state]! * BYTES + byte] = renamed[delta[state * BYTES + byte]!]!;
  }
  const hits = order.slice(firstHit).map((state) => [...ends[state]!].sort((a, b) => a - b));
  const overlap = Math.max(0, ...groups.flat().map((keyword) => keyword.length - 1));
  return { next, firstHit, hits, overlap };
}

export class KeywordIndex {
  private readonly groups: Array<readonly string[]> = [];
  private automaton: Automaton | undefined;

  /** Adds a group of keywords (before the first search); returns its index in what `search` returns. */
  add(keywords: readonly string[]): number {
    if (this.automaton) throw new Error('KeywordIndex: groups are added before the first search');
    for (const keyword of keywords) {
      if (!/^[\x20-\x7e]+$/.test(keyword))
        throw new Error(`Keyword ${JSON.stringify(keyword)} must be non-empty printable ASCII`);
    }
    this.groups.push(keywords);
    return this.groups.length - 1;
  }

  get groupCount(): number {
    return this.groups.length;
  }

  /** found[group] is 1 when a keyword of that group occurs in `text` (in any case), else 0. */
  search(text: string): Uint8Array {
    const { next, firstHit, hits, overlap } = (this.automaton ??= build(this.groups));
    const found = new Uint8Array(this.groups.length);
    const length = text.length;
    const quarter = Math.ceil(length / 4);
    const steps = quarter + overlap;
    const b0 = Math.max(0, quarter - overlap);
    const c0 = Math.max(0, 2 * quarter - overlap);
    const d0 = Math.max(0, 3 * quarter - overlap);
    // The last walk may read past the text: NULs, which are in no keyword.
    const end = d0 + steps;
    if (end > scratch.length && end <= SCRATCH_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
    const bytes = end <= scratch.length ? scratch : Buffer.allocUnsafe(end);
    bytes.write(text, 0, length, 'latin1');
    bytes.fill(0, length, end);
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (let i = 0; i < steps; i++) {
      a = next[a * BYTES + bytes[i]!]!;
      b = next[b * BYTES + bytes[b0 + i]!]!;
      c = next[c * BYTES + bytes[c0 + i]!]!;
      d = next[d * BYTES + bytes[d0 + i]!]!;
      if (a >= firstHit || b >= firstHit || c >= firstHit || d >= firstHit) {
        for (const state of [a, b, c, d]) {
          if (state >= firstHit) for (const group of hits[state - firstHit]!) found[group] = 1;
        }
      }
    }
    return found;
  }
}

/**
 * The keywords of the built-in detectors, in one index: each detector adds its groups when its
 * module loads, and a text is searched once for all of them.
 */
export const DETECTOR_KEYWORDS = new KeywordIndex();
