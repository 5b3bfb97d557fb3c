import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/compile.ts';
import { counterKey } from '../src/counter-key.ts';
import { applyCounterResults, evaluateFeature, evaluatePolicy, listVisibleTools } from '../src/evaluate.ts';
import type { PolicyDocument } from '../src/types.ts';

const policy = compilePolicy({
  version: '1',
  default: 'deny',
  approval: { timeout: 120 },
  tools: {
    '@read': { action: 'allow' },
    '@write': { rate_limit: { max: 10, window: 60 } },
    '@destructive': { action: 'require_approval' },
    leave_community: {
      limits: [{ counter: 'leave_community_rate', window: 'minute', max: 30, scope: 'grant' }],
    },
    send_tweet: {
      conditions: [
        { when: { arg: 'text', regex: '(?i)crypto' }, action: 'deny', reason: 'No posts about crypto.' },
      ],
      rate_limit: { max: 5, window: 'hour', scope: 'upstream' },
    },
    get_user_tweets: {
      action: 'deny',
      reason: 'Ask for at most 50 posts.',
      conditions: [{ when: { arg: 'count', lte: 50 }, action: 'allow' }],
    },
    delete_tweet: { action: 'require_approval', approval: { timeout: 30 } },
    block_user: { action: 'deny', reason: 'Never block.' },
    get_bookmarks: { action: 'hide' },
    vote: { action: 'deny', conditions: [{ when: { arg: 'choice', equals: 'A' }, action: 'deny' }] },
  },
} satisfies PolicyDocument);

describe('evaluatePolicy', () => {
  it('allows with the counters of the exact rule', () => {
    expect(
      evaluatePolicy(policy, { tool: 'leave_community', args: {}, risk: { category: 'write' } }),
    ).toEqual({
      effect: 'allow',
      rule: '/tools/leave_community',
      counters: [
        {
          name: 'leave_community_rate',
          scope: 'grant',
          windowMs: 60_000,
          max: 30,
          rule: '/tools/leave_community/limits/0',
          named: true,
        },
      ],
    });
  });

  it('denies on a matching condition with its reason, and allows otherwise with the rule counters', () => {
    expect(evaluatePolicy(policy, { tool: 'send_tweet', args: { text: 'Buy CRYPTO' } })).toEqual({
      effect: 'deny',
      rule: '/tools/send_tweet/conditions/0',
      reason: 'No posts about crypto.',
      counters: [],
    });
    expect(evaluatePolicy(policy, { tool: 'send_tweet', args: { text: 'hello' } })).toEqual({
      effect: 'allow',
      rule: '/tools/send_tweet',
      counters: [
        {
          name: 'tools/send_tweet/rate_limit',
          scope: 'upstream',
          windowMs: 3_600_000,
          max: 5,
          rule: '/tools/send_tweet/rate_limit',
          named: false,
        },
      ],
    });
  });

  it('allows only when count <= 50 (numeric strings count as numbers; absent fails)', () => {
    const call = (args: Record<string, unknown>) =>
      evaluatePolicy(policy, { tool: 'get_user_tweets', args, risk: { category: 'read' } });
    expect(call({ count: 50 }).effect).toBe('allow');
    expect(call({ count: '20' }).effect).toBe('allow');
    expect(call({ count: 51 })).toEqual({
      effect: 'deny',
      rule: '/tools/get_user_tweets',
      reason: 'Ask for at most 50 posts.',
      counters: [],
    });
    expect(call({ count: '500' }).effect).toBe('deny');
    expect(call({}).effect).toBe('deny');
    expect(call({ count: 'many' }).effect).toBe('deny');
  });

  it('uses class rules, then *, then the default', () => {
    expect(evaluatePolicy(policy, { tool: 'get_tweet', args: {}, risk: { category: 'read' } })).toMatchObject(
      { effect: 'allow', rule: '/tools/@read' },
    );
    expect(
      evaluatePolicy(policy, { tool: 'like_tweet', args: {}, risk: { category: 'write' } }),
    ).toMatchObject({
      effect: 'allow',
      rule: '/tools/@write',
      counters: [{ name: 'tools/@write/rate_limit', windowMs: 60_000, max: 10, scope: 'grant' }],
    });
    expect(
      evaluatePolicy(policy, { tool: 'delete_dm', args: {}, risk: { category: 'destructive' } }),
    ).toEqual({
      effect: 'require_approval',
      rule: '/tools/@destructive',
      counters: [],
      approval: { timeoutMs: 120_000 },
    });
    expect(evaluatePolicy(policy, { tool: 'unknown', args: {} })).toEqual({
      effect: 'deny',
      rule: '(default)',
      reason: 'No policy rule allows this tool (the policy default is deny).',
      counters: [],
    });
    const withStar = compilePolicy({
      version: '1',
      default: 'deny',
      tools: { '*': { action: 'require_approval' }, '@read': { action: 'allow' } },
    });
    expect(evaluatePolicy(withStar, { tool: 'x', args: {} })).toMatchObject({
      effect: 'require_approval',
      rule: '/tools/*',
      approval: { timeoutMs: 300_000 },
    });
    expect(evaluatePolicy(withStar, { tool: 'x', args: {}, risk: { category: 'read' } })).toMatchObject({
      effect: 'allow',
      rule: '/tools/@read',
    });
    expect(evaluatePolicy({ version: '1', default: 'allow' }, { tool: 'x', args: {} })).toEqual({
      effect: 'allow',
      rule: '(default)',
      counters: [],
    });
  });

  it('an exact rule decides entirely, even against a stricter class rule', () => {
    expect(
      evaluatePolicy(policy, { tool: 'delete_tweet', args: {}, risk: { category: 'destructive' } }),
    ).toMatchObject({
      effect: 'require_approval',
      rule: '/tools/delete_tweet',
      approval: { timeoutMs: 30_000 },
    });
    // leave_community is write, but its own rule has no @write rate_limit.
    const decision = evaluatePolicy(policy, {
      tool: 'leave_community',
      args: {},
      risk: { category: 'write' },
    });
    expect(decision.counters.map((c) => c.rule)).toEqual(['/tools/leave_community/limits/0']);
  });

  it('hide and deny', () => {
    expect(
      evaluatePolicy(policy, { tool: 'get_bookmarks', args: {}, risk: { category: 'read' } }),
    ).toMatchObject({ effect: 'hide', rule: '/tools/get_bookmarks' });
    expect(evaluatePolicy(policy, { tool: 'block_user', args: {} })).toMatchObject({
      effect: 'deny',
      reason: 'Never block.',
    });
  });

  it('condition operators', () => {
    const p = compilePolicy({
      version: '1',
      default: 'deny',
      tools: {
        t: {
          action: 'allow',
          conditions: [
            { when: { arg: 'mode', equals: 'nuke' }, action: 'deny', reason: 'equals' },
            { when: { arg: 'user.id', in: [1, 2] }, action: 'deny', reason: 'in' },
            { when: { arg: 'lang', not_in: ['en', 'fr'] }, action: 'deny', reason: 'not_in' },
            {
              when: [
                { arg: 'n', gt: 10 },
                { arg: 'n', lt: 20 },
              ],
              action: 'require_approval',
              reason: 'between',
            },
            { when: { arg: 'force', exists: true }, action: 'deny', reason: 'exists' },
            { when: { arg: 'tags', regex: '^secret$' }, action: 'deny', reason: 'regex in list' },
            { when: { arg: 'kind', not_equals: 'public' }, action: 'deny', reason: 'not_equals' },
          ],
        },
      },
    });
    const reasonFor = (args: Record<string, unknown>) => {
      const d = evaluatePolicy(p, { tool: 't', args });
      return d.effect === 'allow' ? 'allowed' : d.reason;
    };
    const base = { lang: 'en', kind: 'public' };
    expect(reasonFor(base)).toBe('allowed');
    expect(reasonFor({ ...base, mode: 'nuke' })).toBe('equals');
    expect(reasonFor({ ...base, user: { id: '2' } })).toBe('in');
    expect(reasonFor({ ...base, user: { id: 3 } })).toBe('allowed');
    expect(reasonFor({ kind: 'public' })).toBe('not_in');
    expect(reasonFor({ ...base, lang: 'de' })).toBe('not_in');
    expect(reasonFor({ ...base, n: 15 })).toBe('between');
    expect(reasonFor({ ...base, n: 20 })).toBe('allowed');
    expect(reasonFor({ ...base, force: false })).toBe('exists');
    expect(reasonFor({ ...base, force: null })).toBe('allowed');
    expect(reasonFor({ ...base, tags: ['a', 'secret'] })).toBe('regex in list');
    expect(reasonFor({ lang: 'en' })).toBe('not_equals');
    // Own properties only: no prototype walking.
    expect(reasonFor({ ...base, user: { id: 9 }, constructor: 1 })).toBe('allowed');
  });

  it('accepts an uncompiled document (compiled once, cached)', () => {
    const doc: PolicyDocument = { version: '1', default: 'deny', tools: { a: { action: 'allow' } } };
    expect(evaluatePolicy(doc, { tool: 'a', args: {} }).effect).toBe('allow');
    expect(evaluatePolicy(doc, { tool: 'b', args: {} }).effect).toBe('deny');
  });
});

describe('applyCounterResults', () => {
  it('turns an over-limit counter into rate_limited with the limit pointer', () => {
    const decision = evaluatePolicy(policy, { tool: 'leave_community', args: {} });
    expect(applyCounterResults(decision, { ok: true })).toBe(decision);
    expect(
      applyCounterResults(decision, { ok: false, counter: decision.counters[0]!, retryAfterMs: 1234.2 }),
    ).toEqual({
      effect: 'rate_limited',
      rule: '/tools/leave_community/limits/0',
      reason: 'Rate limit reached: at most 30 calls per minute (per grant). Retry in 2 s.',
      counters: [],
      retryAfterMs: 1235,
    });
  });
});

describe('listVisibleTools', () => {
  it('drops hidden and always-denied tools, keeps tools with conditions that can allow', () => {
    const tools = [
      { name: 'get_tweet', risk: { category: 'read' as const } },
      { name: 'get_bookmarks', risk: { category: 'read' as const } },
      { name: 'block_user', risk: { category: 'destructive' as const } },
      { name: 'get_user_tweets', risk: { category: 'read' as const } },
      { name: 'vote', risk: { category: 'write' as const } },
      { name: 'delete_dm', risk: { category: 'destructive' as const } },
      { name: 'mystery' },
    ];
    expect(listVisibleTools(policy, tools).map((t) => t.name)).toEqual([
      'get_tweet',
      'get_user_tweets',
      'delete_dm',
    ]);
    expect(listVisibleTools({ version: '1', default: 'allow' }, tools)).toHaveLength(tools.length);
    const risks: Record<string, 'read'> = { get_tweet: 'read' };
    expect(
      listVisibleTools(policy, [{ name: 'get_tweet' }], (t) => risks[t.name]).map((t) => t.name),
    ).toEqual(['get_tweet']);
  });
});

describe('counterKey', () => {
  const ids = { grantId: 'g1', sessionId: 's:1', serverId: 'srv', orgId: 'o', upstreamId: 'u' };
  it('builds one key per scope instance, name and window', () => {
    expect(counterKey({ name: 'tools/x/limits/0', scope: 'grant', windowMs: 60_000 }, ids)).toBe(
      'grant:g1:tools%2Fx%2Flimits%2F0:60000',
    );
    expect(counterKey({ name: 'n', scope: 'session', windowMs: 1000 }, ids)).toBe('session:s%3A1:n:1000');
    expect(counterKey({ name: 'n', scope: 'upstream', windowMs: 1000 }, ids)).toBe('upstream:u:n:1000');
    expect(counterKey({ name: 'n', scope: 'upstream', windowMs: 1000, named: true }, ids)).toBe(
      'upstream:u:n:1000',
    );
  });
  it('throws when the scope id is missing', () => {
    expect(() => counterKey({ name: 'n', scope: 'org', windowMs: 1 }, { grantId: 'g' })).toThrow(
      'needs scopeIds.orgId',
    );
    expect(() => counterKey({ name: 'n', scope: 'org', windowMs: 1, named: false }, { orgId: 'o' })).toThrow(
      'needs scopeIds.serverId',
    );
  });
  it('keeps unnamed org and upstream limits of two servers apart, and shares named ones', () => {
    const policy = {
      version: '1' as const,
      default: 'deny' as const,
      tools: {
        send_dm: {
          limits: [
            { window: 60, max: 5, scope: 'org' as const },
            { counter: 'dms', window: 60, max: 9, scope: 'upstream' as const },
          ],
        },
      },
    };
    const [unnamed, named] = evaluatePolicy(policy, { tool: 'send_dm', args: {} }).counters;
    const serverA = { orgId: 'o', upstreamId: 'acct', serverId: 'A' };
    const serverB = { ...serverA, serverId: 'B' };
    expect(counterKey(unnamed!, serverA)).toBe('org:o:~A~tools%2Fsend_dm%2Flimits%2F0:60000');
    expect(counterKey(unnamed!, serverA)).not.toBe(counterKey(unnamed!, serverB));
    expect(counterKey(named!, serverA)).toBe(counterKey(named!, serverB));
  });
});

describe('evaluateFeature', () => {
  it('follows the policy default when the feature has no rule', () => {
    expect(evaluateFeature({ version: '1', default: 'allow' }, 'resources')).toMatchObject({
      effect: 'allow',
      rule: '(default)',
    });
    expect(evaluateFeature({ version: '1', default: 'deny' }, 'prompts')).toMatchObject({
      effect: 'deny',
      rule: '(default)',
      reason: expect.stringContaining('prompts'),
    });
  });

  it('uses the feature rule over the default, with its reason', () => {
    const policy = compilePolicy({
      version: '1',
      default: 'allow',
      resources: { action: 'deny', reason: 'No file reads from agents.' },
      prompts: { action: 'deny' },
    });
    expect(evaluateFeature(policy, 'resources')).toEqual({
      effect: 'deny',
      rule: '/resources',
      reason: 'No file reads from agents.',
      counters: [],
    });
    expect(evaluateFeature(policy, 'prompts')).toMatchObject({
      effect: 'deny',
      rule: '/prompts',
      reason: 'Prompts are denied by policy.',
    });
    expect(
      evaluateFeature({ version: '1', default: 'deny', resources: { action: 'allow' } }, 'resources'),
    ).toMatchObject({ effect: 'allow', rule: '/resources' });
  });

  it('rejects feature rules that are not allow or deny', () => {
    expect(() =>
      compilePolicy({ version: '1', default: 'deny', resources: { action: 'require_approval' } }),
    ).toThrow(/\/resources\/action: must be allow or deny/);
    expect(() => compilePolicy({ version: '1', default: 'deny', prompts: { reason: 'x' } })).toThrow(
      /\/prompts\/action: is required/,
    );
  });
});
