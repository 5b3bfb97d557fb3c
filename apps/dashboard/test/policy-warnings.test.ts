// Warnings under a valid draft: a rule for a tool the catalog lacks (a typo, or a tool yet to
// appear), and a tool rule that silently replaces its risk class rule.
import { describe, expect, it } from 'vitest';
import { policyWarnings, replacedRule } from '../src/modules/policies/policy-warnings.ts';

const tools = [
  { name: 'like_tweet', category: 'write' as const },
  { name: 'send_dm', category: 'write' as const },
  { name: 'get_tweet', category: 'read' as const },
];

describe('policyWarnings', () => {
  it('warns (does not fail) on a rule for a tool not in the catalog', () => {
    const warnings = policyWarnings(
      {
        version: '1',
        default: 'deny',
        tools: { like_twet: { action: 'allow' }, '@read': { action: 'allow' }, '*': { action: 'deny' } },
      },
      tools,
    );
    expect(warnings).toEqual([
      {
        pointer: '/tools/like_twet',
        message:
          'like_twet is not in this server’s catalog: the rule applies only if the server adds such a tool. Did you mean like_tweet?',
      },
    ]);
  });

  it('has nothing to say about rules for catalog tools and classes', () => {
    expect(
      policyWarnings(
        {
          version: '1',
          default: 'deny',
          tools: { like_tweet: { action: 'allow' }, '@write': { action: 'deny' } },
        },
        tools,
      ),
    ).toEqual([]);
  });
});

describe('replacedRule', () => {
  const doc = {
    version: '1' as const,
    default: 'deny' as const,
    tools: {
      '@write': { action: 'allow' as const, rate_limit: { max: 30, window: 'minute' as const } },
      send_dm: { action: 'allow' as const },
    },
  };
  it('names the class rule a tool rule replaces, with what it would have done', () => {
    expect(replacedRule(doc, 'send_dm', tools)).toBe(
      'This rule replaces the @write rule for send_dm (which would give: Limited 30/minute); rules are never merged.',
    );
  });
  it('says nothing for class rules or tools no other rule covers', () => {
    expect(replacedRule(doc, '@write', tools)).toBeNull();
    expect(replacedRule(doc, 'get_tweet', tools)).toBeNull();
  });
});
