// The catalog's policy column: what the active policy does with each tool and which rule decides.
import { describe, expect, it } from 'vitest';
import { compileActivePolicy, effectTotals, toolEffect } from '../src/modules/catalog/policy-effect.ts';

const policy = compileActivePolicy({
  version: '1',
  default: 'deny',
  tools: {
    '@read': { action: 'allow' },
    '@write': { action: 'allow', rate_limit: { max: 30, window: 'minute' } },
    '@destructive': { action: 'require_approval' },
    send_tweet: { action: 'deny', reason: 'Use the team account.' },
    send_dm: { action: 'allow' },
    send_dm_to_group: {
      action: 'deny',
      conditions: [{ when: { arg: 'text', regex: 'ok' }, action: 'allow' }],
    },
    block_user: { action: 'hide' },
  },
})!;

describe('toolEffect', () => {
  it('names the effect and the deciding rule', () => {
    expect(toolEffect(policy, { name: 'get_tweet', category: 'read' })).toEqual({
      effect: 'allow',
      label: 'Allowed',
      rule: '@read',
      conditions: 0,
      listed: true,
    });
    expect(toolEffect(policy, { name: 'leave_community', category: 'write' })).toMatchObject({
      effect: 'limited',
      label: 'Limited 30/minute',
      rule: '@write',
    });
    expect(toolEffect(policy, { name: 'delete_tweet', category: 'destructive' })).toMatchObject({
      effect: 'require_approval',
      label: 'Needs approval',
      rule: '@destructive',
    });
    expect(toolEffect(policy, { name: 'send_tweet', category: 'write' })).toMatchObject({
      effect: 'deny',
      rule: 'send_tweet',
      listed: false,
    });
    expect(toolEffect(policy, { name: 'block_user', category: 'write' })).toMatchObject({
      effect: 'hide',
      label: 'Hidden',
      listed: false,
    });
  });

  it('shows that a tool rule replaces its class rule (send_dm loses @write’s limit)', () => {
    expect(toolEffect(policy, { name: 'send_dm', category: 'write' })).toMatchObject({
      effect: 'allow',
      rule: 'send_dm',
    });
  });

  it('with conditions, gives the outcome when none matches and counts them', () => {
    expect(toolEffect(policy, { name: 'send_dm_to_group', category: 'write' })).toMatchObject({
      effect: 'deny',
      conditions: 1,
      listed: true,
    });
  });

  it('no policy, or an invalid one, denies every tool', () => {
    expect(toolEffect(null, { name: 'get_tweet', category: 'read' })).toMatchObject({
      effect: 'deny',
      rule: 'no policy',
    });
    expect(compileActivePolicy({ version: '1', default: 'maybe' })).toBeNull();
    expect(compileActivePolicy(null)).toBeNull();
  });

  it('falls back to the default with no rule', () => {
    const open = compileActivePolicy({ version: '1', default: 'allow', tools: {} })!;
    expect(toolEffect(open, { name: 'x', category: 'write' })).toMatchObject({
      effect: 'allow',
      rule: 'default',
      listed: true,
    });
  });
});

describe('effectTotals', () => {
  it('counts effects per category', () => {
    const totals = effectTotals([
      { category: 'write', effect: 'limited' },
      { category: 'write', effect: 'limited' },
      { category: 'read', effect: 'allow' },
    ]);
    expect(totals.write.limited).toBe(2);
    expect(totals.read.allow).toBe(1);
    expect(totals.destructive.deny).toBe(0);
  });
});
