// The nesting bound at the HTTP edge: the same limit the relay promises (params at most 64 levels
// deep), judged on the text before it is parsed, and never fooled by brackets inside strings.
import { describe, expect, it } from 'vitest';
import { MAX_PARAMS_DEPTH, nestedTooDeep } from '../src/http/json-rpc.ts';

/** A tools/call whose arguments hold `levels` arrays inside one another (params depth levels + 1). */
const call = (levels: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'x', arguments: { a: JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) } },
  });

describe('nestedTooDeep', () => {
  it('refuses params nested more than MAX_PARAMS_DEPTH levels, alone and in a batch', () => {
    // Innermost array at params depth levels + 1: the last allowed is depth MAX_PARAMS_DEPTH - 1.
    expect(nestedTooDeep(call(MAX_PARAMS_DEPTH - 2))).toBe(false);
    expect(nestedTooDeep(call(MAX_PARAMS_DEPTH - 1))).toBe(true);
    expect(nestedTooDeep(`[${call(MAX_PARAMS_DEPTH - 2)}]`)).toBe(false);
    expect(nestedTooDeep(`  [${call(MAX_PARAMS_DEPTH - 1)}]`)).toBe(true);
    expect(nestedTooDeep(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    const text = JSON.stringify({
      params: { s: `${'['.repeat(500)}\\"{`, t: 'ends in a backslash \\', u: '{'.repeat(500) },
    });
    expect(nestedTooDeep(text)).toBe(false);
    // After a string that ends in an escaped backslash, brackets count again.
    expect(nestedTooDeep(`${JSON.stringify({ s: 'a\\' }).slice(0, -1)},"x":${'['.repeat(70)}`)).toBe(true);
  });
});
