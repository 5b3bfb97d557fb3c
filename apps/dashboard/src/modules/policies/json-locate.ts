// Maps JSON pointers to text ranges in a JSON document, so validation errors (which carry
// pointers) can be marked at the right lines of the editor. A tolerant scanner: on malformed
// input it returns what it found so far.
export interface Range {
  from: number;
  to: number;
}

function escapeSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function locatePointers(text: string): Map<string, Range> {
  const ranges = new Map<string, Range>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  const string = (): string => {
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i += 1;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const value = (pointer: string, depth: number): void => {
    if (depth > 64) throw new Error('too deep');
    ws();
    const start = i;
    const ch = text[i];
    if (ch === '{') {
      i += 1;
      ws();
      while (i < text.length && text[i] !== '}') {
        ws();
        if (text[i] !== '"') throw new Error('key');
        const keyStart = i;
        const key = string();
        const child = `${pointer}/${escapeSegment(key)}`;
        ranges.set(child, { from: keyStart, to: i });
        ws();
        if (text[i] !== ':') throw new Error(':');
        i += 1;
        value(child, depth + 1);
        const keyRange = ranges.get(child)!;
        ranges.set(child, { from: keyStart, to: Math.max(keyRange.to, i) });
        ws();
        if (text[i] === ',') i += 1;
        else break;
      }
      i += 1;
    } else if (ch === '[') {
      i += 1;
      let index = 0;
      ws();
      while (i < text.length && text[i] !== ']') {
        const child = `${pointer}/${index}`;
        const itemStart = i;
        value(child, depth + 1);
        ranges.set(child, { from: itemStart, to: i });
        index += 1;
        ws();
        if (text[i] === ',') {
          i += 1;
          ws();
        } else break;
      }
      i += 1;
    } else if (ch === '"') {
      string();
    } else {
      while (i < text.length && /[^\s,\]}]/.test(text[i]!)) i += 1;
    }
    if (!ranges.has(pointer)) ranges.set(pointer, { from: start, to: i });
  };
  try {
    value('', 0);
  } catch {
    /* partial map */
  }
  return ranges;
}

/** The range of the pointer, or of its nearest existing ancestor (for missing properties). */
export function rangeForPointer(ranges: Map<string, Range>, pointer: string): Range | undefined {
  let p = pointer;
  while (true) {
    const hit = ranges.get(p);
    if (hit) return hit;
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/** 1-based line number of an offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k += 1) if (text[k] === '\n') line += 1;
  return line;
}
