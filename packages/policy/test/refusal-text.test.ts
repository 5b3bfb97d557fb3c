// What an agent reads when a call is refused: the rule once in parentheses, the retry time once.
import { describe, expect, it } from 'vitest';
import { applyCounterResults } from '../src/evaluate.ts';
import { refusalText } from '../src/refusal-text.ts';

describe('refusalText', () => {
  it('puts a rule pointer in parentheses, and a pseudo-rule that has its own only once', () => {
    expect(
      refusalText({ effect: 'deny', rule: '/tools/send_tweet', reason: 'No posting', counters: [] }),
    ).toBe('Denied by policy (/tools/send_tweet): No posting');
    expect(
      refusalText({
        effect: 'deny',
        rule: '(catalog)',
        reason: 'Tool like_twet is not available on this server',
        counters: [],
      }),
    ).toBe('Denied by policy (catalog): Tool like_twet is not available on this server');
    expect(refusalText({ effect: 'hide', rule: '(default)', counters: [] })).toBe(
      'Denied by policy (default): This tool call is denied by policy.',
    );
    expect(
      refusalText({ effect: 'deny', rule: '/prompts', counters: [] }, 'prompts are denied by policy'),
    ).toBe('Denied by policy (/prompts): prompts are denied by policy');
  });

  it('says "retry in" once for a rate limit', () => {
    const counter = {
      name: 'c',
      scope: 'grant' as const,
      windowMs: 60_000,
      max: 3,
      rule: '/tools/leave_community/rate_limit',
      named: false,
    };
    const limited = applyCounterResults(
      { effect: 'allow', rule: '/tools/leave_community', counters: [counter] },
      { ok: false, counter, retryAfterMs: 59_500 },
    );
    const text = refusalText(limited);
    expect(text).toBe(
      'Rate limited by /tools/leave_community/rate_limit: at most 3 calls per minute (per grant). Retry in 60 s.',
    );
    expect(text.match(/retry in/gi)).toHaveLength(1);
    expect(
      refusalText({ effect: 'rate_limited', rule: '/tools/x/limits/0', counters: [], retryAfterMs: 1_200 }),
    ).toBe('Rate limited by /tools/x/limits/0: retry in 2 s.');
  });
});
