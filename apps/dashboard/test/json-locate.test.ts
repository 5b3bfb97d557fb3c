import { describe, expect, it } from 'vitest';
import { validatePolicy } from '@portcullis/policy/validate';
import { lineOf, locatePointers, rangeForPointer } from '../src/modules/policies/json-locate.ts';
import { diffLines } from '../src/modules/diff/line-diff.ts';

describe('locatePointers', () => {
  it('puts a validation error on the line of the offending value', () => {
    const text = JSON.stringify(
      {
        version: '1',
        default: 'deny',
        tools: { leave_community: { rate_limit: { max: 3, window: 'fortnight' } } },
      },
      null,
      2,
    );
    const result = validatePolicy(JSON.parse(text));
    expect(result.ok).toBe(false);
    const error = !result.ok ? result.errors[0]! : undefined;
    expect(error?.pointer).toBe('/tools/leave_community/rate_limit/window');
    const range = rangeForPointer(locatePointers(text), error!.pointer)!;
    expect(lineOf(text, range.from)).toBe(text.split('\n').findIndex((l) => l.includes('fortnight')) + 1);
  });

  it('falls back to the nearest ancestor for missing properties and escapes ~ and /', () => {
    const text = '{"tools": {"a/b~c": {"action": "allow"}}}';
    const ranges = locatePointers(text);
    expect(ranges.has('/tools/a~1b~0c/action')).toBe(true);
    expect(rangeForPointer(ranges, '/tools/a~1b~0c/missing')).toEqual(ranges.get('/tools/a~1b~0c'));
  });

  it('survives malformed input', () => {
    expect(() => locatePointers('{"tools": {"x": [1, 2,')).not.toThrow();
  });
});

describe('diffLines', () => {
  it('marks added and removed lines', () => {
    expect(diffLines('a\nb\nc', 'a\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });
});
