// Regressions for the security review: prototype keys, hide, arguments of unexpected types,
// slow regexes and malformed counter answers must never lead to allow.

import { describe, expect, it } from 'vitest';
import { classifyTool } from '../src/classify.ts';
import { compilePolicy, MAX_REGEX_SUBJECT_LENGTH } from '../src/compile.ts';
import { applyCounterResults, evaluatePolicy, listVisibleTools } from '../src/evaluate.ts';
import { compileConditionRegex } from '../src/regex.ts';
import type { CounterOutcome, RiskCategory } from '../src/types.ts';
import { validatePolicy } from '../src/validate.ts';

describe('prototype names', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'an exact rule for a tool named %s applies to it',
    (name) => {
      // JSON.parse, as the gateway reads policies: "__proto__" becomes an own key.
      const policy = compilePolicy(
        JSON.parse(`{"version":"1","default":"allow","tools":{"${name}":{"action":"deny","reason":"no"}}}`),
      );
      expect(evaluatePolicy(policy, { tool: name, args: {} })).toMatchObject({
        effect: 'deny',
        rule: `/tools/${name}`,
      });
      expect(listVisibleTools(policy, [{ name }])).toEqual([]);
    },
  );

  it.each(['constructor', '__proto__', 'toString'])(
    'a risk category %s from the catalog falls through to * instead of throwing',
    (category) => {
      const policy = compilePolicy({ version: '1', default: 'allow', tools: { '*': { action: 'deny' } } });
      const call = { tool: 'x', args: {}, risk: { category: category as RiskCategory } };
      expect(evaluatePolicy(policy, call)).toMatchObject({ effect: 'deny', rule: '/tools/*' });
    },
  );

  it.each(['constructor', 'toString', '__proto__'])('rejects the window %s', (window) => {
    const result = validatePolicy({
      version: '1',
      default: 'deny',
      tools: { x: { rate_limit: { max: 1, window } } },
    });
    expect(result.ok ? [] : result.errors).toEqual([
      {
        pointer: '/tools/x/rate_limit/window',
        message: 'must be second, minute, hour, day or a number of seconds',
      },
    ]);
  });
});

describe('hide', () => {
  it('rejects conditions on a hidden tool, which could otherwise allow calls to it', () => {
    const result = validatePolicy({
      version: '1',
      default: 'deny',
      tools: { x: { action: 'hide', conditions: [{ when: { arg: 'a', exists: true }, action: 'allow' }] } },
    });
    expect(result.ok ? [] : result.errors.map((e) => e.pointer)).toEqual(['/tools/x/conditions']);
  });
});

describe('a tool name that is not text', () => {
  it('is denied, not matched against * or the default', () => {
    const policy = compilePolicy({ version: '1', default: 'allow', tools: { '5': { action: 'deny' } } });
    expect(evaluatePolicy(policy, { tool: 5 as unknown as string, args: {} }).effect).toBe('deny');
  });
});

describe('arguments of a type a test cannot judge', () => {
  const denyCrypto = compilePolicy({
    version: '1',
    default: 'allow',
    tools: { send: { conditions: [{ when: { arg: 'text', regex: 'crypto' }, action: 'deny' }] } },
  });
  const denyOver50 = compilePolicy({
    version: '1',
    default: 'allow',
    tools: { get: { conditions: [{ when: { arg: 'count', gt: 50 }, action: 'deny' }] } },
  });
  const allowUpTo50 = compilePolicy({
    version: '1',
    default: 'allow',
    tools: { get: { action: 'deny', conditions: [{ when: { arg: 'count', lte: 50 }, action: 'allow' }] } },
  });

  it.each([[['crypto']], [[['crypto']]], [{ a: 'crypto' }], [['ok', { a: 'crypto' }]]])(
    'a regex deny condition matches text %j',
    (text) => {
      expect(evaluatePolicy(denyCrypto, { tool: 'send', args: { text } }).effect).toBe('deny');
    },
  );

  it('plain values keep their meaning', () => {
    expect(evaluatePolicy(denyCrypto, { tool: 'send', args: { text: 'hello' } }).effect).toBe('allow');
    expect(evaluatePolicy(denyCrypto, { tool: 'send', args: { text: ['hello', null] } }).effect).toBe(
      'allow',
    );
    expect(evaluatePolicy(denyCrypto, { tool: 'send', args: {} }).effect).toBe('allow');
    expect(evaluatePolicy(denyOver50, { tool: 'get', args: { count: '10' } }).effect).toBe('allow');
    expect(evaluatePolicy(denyOver50, { tool: 'get', args: { count: null } }).effect).toBe('allow');
  });

  it.each([[[100]], ['100abc'], ['0x100'], [true], [{ v: 100 }]])(
    'a numeric deny condition matches count %j',
    (count) => {
      expect(evaluatePolicy(denyOver50, { tool: 'get', args: { count } }).effect).toBe('deny');
    },
  );

  it.each([[[10]], ['ten'], [{ v: 10 }]])('a numeric allow condition does not match count %j', (count) => {
    expect(evaluatePolicy(allowUpTo50, { tool: 'get', args: { count } }).effect).toBe('deny');
  });

  it('text longer than the regex limit is not searched and triggers the deny condition', () => {
    const long = 'a'.repeat(MAX_REGEX_SUBJECT_LENGTH + 1);
    expect(evaluatePolicy(denyCrypto, { tool: 'send', args: { text: long } }).effect).toBe('deny');
    expect(
      evaluatePolicy(denyCrypto, {
        tool: 'send',
        args: { text: ['a'.repeat(MAX_REGEX_SUBJECT_LENGTH), 'b'] },
      }).effect,
    ).toBe('deny');
    expect(
      evaluatePolicy(denyCrypto, { tool: 'send', args: { text: 'a'.repeat(MAX_REGEX_SUBJECT_LENGTH) } })
        .effect,
    ).toBe('allow');
  });
});

describe('regex screening', () => {
  it.each(['.*.*x', '\\s*\\s*\\s*x', '[a-z]+\\d*[a-z]+x', '\\w+@\\w+', 'a{1,}b+', '.{0,5000}.+'])(
    'rejects %s (polynomial backtracking)',
    (pattern) => {
      const compiled = compileConditionRegex(pattern);
      expect(compiled.ok ? '' : compiled.message).toMatch(
        /^must not repeat more than one part without a small upper bound/,
      );
    },
  );

  it.each([
    '(?i)crypto|airdrop',
    '^https?://\\S+$',
    '\\w{1,64}@\\w{1,64}\\.com',
    '\\u{1F600}{2}x+',
    '\\p{L}{2}.*',
  ])('accepts %s', (pattern) => {
    expect(compileConditionRegex(pattern).ok).toBe(true);
  });
});

describe('applyCounterResults', () => {
  const policy = compilePolicy({
    version: '1',
    default: 'deny',
    tools: { x: { rate_limit: { max: 1, window: 60 } } },
  });
  const decision = evaluatePolicy(policy, { tool: 'x', args: {} });

  it('a full counter without a usable retry time waits a whole window', () => {
    const outcome: CounterOutcome = { ok: false, counter: decision.counters[0]!, retryAfterMs: Number.NaN };
    const limited = applyCounterResults(decision, outcome);
    expect(limited).toMatchObject({ effect: 'rate_limited', retryAfterMs: 60_000 });
    expect(limited.reason).toContain('Retry in 60 s');
  });

  it('only ok: true lets the decision through', () => {
    expect(() => applyCounterResults(decision, { ok: 'yes' } as unknown as CounterOutcome)).toThrow();
  });
});

describe('classifyTool on servers it has never seen', () => {
  it.each([
    [{ name: 'rm' }, 'destructive/high'],
    [{ name: 'rmdir' }, 'destructive/high'],
    [
      { name: 'query', inputSchema: { type: 'object', properties: { sql: { type: 'string' } } } },
      'destructive/high',
    ],
    [
      { name: 'run', inputSchema: { type: 'object', properties: { command: { type: 'string' } } } },
      'destructive/high',
    ],
    [
      {
        name: 'query',
        description: 'Run a read-only SQL query',
        inputSchema: { type: 'object', properties: { sql: { type: 'string' } } },
      },
      'read/low',
    ],
    [{ name: 'list_issues' }, 'read/low'],
    [{ name: 'create_pull_request' }, 'write/high'],
    [{ name: 'merge_pull_request' }, 'write/high'],
    [{ name: 'push_files' }, 'write/high'],
    [{ name: 'delete_branch' }, 'destructive/high'],
    [{ name: 'drop_table' }, 'destructive/high'],
    [{ name: 'execute_sql' }, 'destructive/high'],
    [{ name: 'read_file' }, 'read/low'],
    [{ name: 'write_file' }, 'write/medium'],
    [{ name: 'delete_file' }, 'destructive/high'],
  ])('%j is %s', (tool, expected) => {
    const { category, severity } = classifyTool(tool);
    expect(`${category}/${severity}`).toBe(expected);
  });
});
