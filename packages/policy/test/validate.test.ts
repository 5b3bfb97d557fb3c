import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compile.ts';
import { compileConditionRegex } from '../src/regex.ts';
import { formatPolicyErrors, PolicyValidationError, validatePolicy } from '../src/validate.ts';

function errorsOf(doc: unknown): string[] {
  const result = validatePolicy(doc);
  return result.ok ? [] : result.errors.map((e) => `${e.pointer}: ${e.message}`);
}

describe('validatePolicy', () => {
  it("accepts the users' form unchanged", () => {
    const doc = {
      version: '1',
      default: 'deny',
      tools: {
        leave_community: {
          limits: [{ counter: 'leave_community_rate', window: 'minute', max: 30, scope: 'grant' }],
        },
      },
    };
    const result = validatePolicy(doc);
    expect(result).toEqual({ ok: true, policy: doc });
  });

  it('accepts every feature together', () => {
    const doc = {
      version: '1',
      default: 'allow',
      approval: { timeout: 600 },
      audit: { arguments: 'full' },
      tools: {
        '*': { rate_limit: { max: 100, window: 'hour', scope: 'org' } },
        '@read': { action: 'allow' },
        '@write': { action: 'allow', rate_limit: { max: 10, window: 60 } },
        '@destructive': { action: 'require_approval', approval: { timeout: 120 } },
        send_tweet: {
          conditions: [
            { when: { arg: 'text', regex: '(?i)crypto' }, action: 'deny', reason: 'No crypto.' },
            {
              when: [
                { arg: 'reply_to', exists: true },
                { arg: 'text', not_in: ['hi'] },
              ],
              action: 'require_approval',
            },
          ],
          limits: [
            { window: 2.5, max: 1, scope: 'upstream' },
            { window: 'day', max: 50, scope: 'session', counter: 'tweets' },
          ],
        },
        get_user_tweets: {
          action: 'deny',
          reason: 'count must be at most 50',
          conditions: [{ when: { arg: 'count', lte: 50, gte: 1 }, action: 'allow' }],
        },
        old_tool: { action: 'hide' },
        other: {
          conditions: [
            { when: { arg: 'a.b.0', equals: { x: [1] } }, action: 'deny' },
            { when: { arg: 'n', in: [1, 'two'], not_equals: null, lt: 3, gt: 0 }, action: 'allow' },
          ],
        },
      },
    };
    expect(errorsOf(doc)).toEqual([]);
  });

  it('reports a bad window with the exact pointer and sentence', () => {
    const doc = {
      version: '1',
      default: 'deny',
      tools: { leave_community: { limits: [{ window: 'fortnight', max: 30 }] } },
    };
    expect(errorsOf(doc)).toEqual([
      '/tools/leave_community/limits/0/window: must be second, minute, hour, day or a number of seconds',
    ]);
    const result = validatePolicy(doc);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(formatPolicyErrors(result.errors)).toBe(
        '/tools/leave_community/limits/0/window: must be second, minute, hour, day or a number of seconds',
      );
    }
  });

  it('rejects unknown keys anywhere', () => {
    const doc = {
      version: '1',
      default: 'deny',
      extra: 1,
      audit: { arguments: 'full', more: true },
      approval: { timeout: 5, when: 1 },
      tools: {
        a: { action: 'allow', colour: 'red', rate_limit: { max: 1, window: 1, burst: 3 } },
        b: { conditions: [{ when: { arg: 'x', equals: 1, like: 'y' }, action: 'deny', note: 'n' }] },
      },
    };
    expect(errorsOf(doc)).toEqual([
      '/extra: is not a known key here; allowed keys are version, default, tools, approval, audit, resources, prompts, guards or patterns',
      '/tools/a/colour: is not a known key here; allowed keys are action, reason, rate_limit, limits, conditions, approval or guards',
      '/tools/a/rate_limit/burst: is not a known key here; allowed keys are counter, window, max or scope',
      '/tools/b/conditions/0/note: is not a known key here; allowed keys are when, action or reason',
      '/tools/b/conditions/0/when/like: is not a known key here; allowed keys are arg, equals, not_equals, in, not_in, regex, lt, lte, gt, gte or exists',
      '/approval/when: is not a known key here; allowed keys are timeout',
      '/audit/more: is not a known key here; allowed keys are arguments',
    ]);
  });

  it('reports missing and mistyped values', () => {
    expect(errorsOf(null)).toEqual([': must be a policy document (an object), not null']);
    expect(errorsOf({})).toEqual([
      '/version: is required and must be "1"',
      '/default: is required and must be allow or deny',
    ]);
    expect(errorsOf({ version: 1, default: 'maybe', tools: [] })).toEqual([
      '/version: must be "1" (the text, in quotes)',
      '/default: must be allow or deny',
      '/tools: must be an object mapping tool names, risk classes or * to rules',
    ]);
    expect(
      errorsOf({
        version: '1',
        default: 'deny',
        tools: {
          '@admin': {},
          'a/b': {
            action: 'block',
            reason: '',
            limits: [{ window: 0, max: 0.5, scope: 'user' }],
            approval: { timeout: 100000 },
          },
          c: {
            rate_limit: { max: 5 },
            conditions: [
              { when: { arg: '' }, action: 'hide' },
              { when: [], action: 'allow' },
            ],
          },
          d: { conditions: [{ when: { arg: 'n', lt: '5', in: [], exists: 'yes' } }] },
        },
      }),
    ).toEqual([
      '/tools/@admin: is not a risk class; use @read, @write or @destructive',
      '/tools/a~1b/action: must be allow, deny, hide or require_approval',
      '/tools/a~1b/reason: must be a non-empty text',
      '/tools/a~1b/limits/0/window: must be a number of seconds from 0.001 to 2678400 (31 days)',
      '/tools/a~1b/limits/0/max: must be a whole number from 1 to 1000000 (to block a tool, use "action": "deny")',
      '/tools/a~1b/limits/0/scope: must be grant, session, server, org or upstream',
      '/tools/a~1b/approval/timeout: must be a whole number of seconds from 1 to 86400',
      '/tools/c/rate_limit/window: is required',
      '/tools/c/conditions/0/when/arg: must be a dot path of non-empty names, at most 200 characters, e.g. "text" or "options.count"',
      '/tools/c/conditions/0/when: must have at least one test: equals, not_equals, in, not_in, regex, lt, lte, gt, gte or exists',
      '/tools/c/conditions/0/action: cannot be hide inside a condition (listing cannot depend on arguments); use deny',
      '/tools/c/conditions/1/when: must list 1 to 20 argument tests',
      '/tools/d/conditions/0/when/in: must be a list of 1 to 1000 values',
      '/tools/d/conditions/0/when/lt: must be a number',
      '/tools/d/conditions/0/when/exists: must be true or false',
      '/tools/d/conditions/0/action: is required',
    ]);
  });

  it('compiles regexes and rejects invalid, slow or overlong ones', () => {
    const withRegex = (regex: string) => ({
      version: '1',
      default: 'deny',
      tools: { t: { conditions: [{ when: { arg: 'text', regex }, action: 'deny' }] } },
    });
    expect(errorsOf(withRegex('(?i)crypto|bitcoin'))).toEqual([]);
    expect(errorsOf(withRegex('^[a-z]+$'))).toEqual([]);
    expect(errorsOf(withRegex('(unclosed'))[0]).toMatch(
      /^\/tools\/t\/conditions\/0\/when\/regex: is not a valid regular expression/,
    );
    expect(errorsOf(withRegex('(a+)+$'))[0]).toMatch(/exponential time/);
    expect(errorsOf(withRegex('(\\w*\\s?)*x'))[0]).toMatch(/exponential time/);
    expect(errorsOf(withRegex('((ab)*c)+'))[0]).toMatch(/exponential time/);
    expect(errorsOf(withRegex('(a|aa)+'))[0]).toMatch(/exponential time/);
    expect(errorsOf(withRegex('(x)\\1'))[0]).toMatch(/backreferences/);
    expect(errorsOf(withRegex('a'.repeat(501)))).toEqual([
      '/tools/t/conditions/0/when/regex: must be at most 500 characters long',
    ]);
    expect(errorsOf(withRegex(''))).toEqual([
      '/tools/t/conditions/0/when/regex: must not be an empty pattern',
    ]);
  });

  it('turns (?i) into a flag', () => {
    const compiled = compileConditionRegex('(?i)crypto');
    expect(compiled.ok && compiled.regex.flags).toBe('iu');
    expect(compiled.ok && compiled.regex.test('Buy CRYPTO now')).toBe(true);
  });

  it('compilePolicy throws the same errors', () => {
    expect(() => compilePolicy({ version: '1', default: 'nope' })).toThrow(PolicyValidationError);
    expect(() => compilePolicy({ version: '1', default: 'nope' })).toThrow('/default: must be allow or deny');
  });
});
