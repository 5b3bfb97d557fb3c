import { describe, expect, it } from 'vitest';
import {
  decideFeatureRequest,
  decideOtherRequest,
  decideToolCall,
  visibleTools,
  type ActivePolicy,
  type CatalogTool,
} from '../src/decide.ts';
import type { PolicyDocument } from '../src/types.ts';

const doc: PolicyDocument = {
  version: '1',
  default: 'deny',
  resources: { action: 'allow' },
  tools: {
    '@read': { action: 'allow' },
    secret_tool: { action: 'hide' },
    send: { action: 'allow', rate_limit: { max: 3, window: 'minute' } },
  },
};
const policy: ActivePolicy = { ok: true, version: 4, compiled: doc };
const approved = (risk: CatalogTool['risk'] = 'read'): CatalogTool => ({
  present: true,
  pinState: 'approved',
  approvedHash: 'h',
  risk,
});

describe('decideToolCall: the decision enforcement makes and simulation predicts', () => {
  it('refuses every call without a valid policy', () => {
    expect(decideToolCall(undefined, approved(), { tool: 'get', args: {} })).toMatchObject({
      effect: 'deny',
      rule: '(no policy)',
    });
    expect(
      decideToolCall({ ok: false, version: 2, error: 'bad window' }, approved(), { tool: 'get', args: {} }),
    ).toMatchObject({
      effect: 'deny',
      rule: '(invalid policy)',
      reason: 'The active policy (version 2) is invalid: bad window',
    });
  });

  it('answers a tool the catalog lacks and a hidden tool with the same sentence (the effect tells the audit log which)', () => {
    const missing = decideToolCall(policy, undefined, { tool: 'secret_tool', args: {} });
    const gone = decideToolCall(policy, { ...approved(), present: false }, { tool: 'secret_tool', args: {} });
    const hidden = decideToolCall(policy, approved('write'), { tool: 'secret_tool', args: {} });
    expect(missing).toMatchObject({ effect: 'deny', rule: '(catalog)' });
    expect(gone.reason).toBe(missing.reason);
    expect(hidden).toMatchObject({ effect: 'hide', reason: missing.reason, counters: [] });
  });

  it('holds tools that pinning has not approved, new and changed ones in their own words', () => {
    expect(
      decideToolCall(
        policy,
        { ...approved(), pinState: 'pending', approvedHash: '' },
        { tool: 'get', args: {} },
      ).reason,
    ).toMatch(/new since this server's catalog was reviewed/);
    expect(
      decideToolCall(
        policy,
        { ...approved(), pinState: 'blocked', approvedHash: '' },
        { tool: 'get', args: {} },
      ).reason,
    ).toMatch(/new since/);
    expect(
      decideToolCall(policy, { ...approved(), pinState: 'changed' }, { tool: 'get', args: {} }),
    ).toMatchObject({ rule: '(pinning)', reason: expect.stringMatching(/definition changed/) });
  });

  it('otherwise decides by the policy, counters included', () => {
    expect(decideToolCall(policy, approved(), { tool: 'get', args: {} })).toMatchObject({
      effect: 'allow',
      rule: '/tools/@read',
    });
    expect(decideToolCall(policy, approved('write'), { tool: 'send', args: {} }).counters).toHaveLength(1);
    expect(decideToolCall(policy, approved('write'), { tool: 'other', args: {} })).toMatchObject({
      effect: 'deny',
    });
  });
});

describe('decideFeatureRequest and visibleTools', () => {
  it('decide features by the policy, refusing without a valid one', () => {
    expect(decideFeatureRequest(policy, 'resources').effect).toBe('allow');
    expect(decideFeatureRequest(policy, 'prompts').effect).toBe('deny');
    expect(decideFeatureRequest(undefined, 'resources')).toMatchObject({
      effect: 'deny',
      rule: '(no policy)',
    });
  });

  it('decide methods the gateway does not know by the policy default, refusing without a valid one', () => {
    expect(decideOtherRequest(policy, 'vendor/echo')).toEqual({
      effect: 'deny',
      rule: '(default)',
      reason: 'No policy rule allows vendor/echo (the policy default is deny)',
      counters: [],
    });
    expect(
      decideOtherRequest({ ok: true, version: 1, compiled: { ...doc, default: 'allow' } }, 'vendor/echo'),
    ).toEqual({ effect: 'allow', rule: '(default)', counters: [] });
    expect(decideOtherRequest(undefined, 'vendor/echo')).toMatchObject({
      effect: 'deny',
      rule: '(no policy)',
    });
  });

  it('list only catalogued, approved tools the policy does not hide or always deny', () => {
    const catalog = new Map<string, CatalogTool>([
      ['get', approved()],
      ['secret_tool', approved()],
      ['pending_tool', { ...approved(), pinState: 'pending', approvedHash: '' }],
      ['removed', { ...approved(), present: false }],
      ['other', approved('write')],
    ]);
    const names = ['get', 'secret_tool', 'pending_tool', 'removed', 'unknown', 'other'].map((name) => ({
      name,
    }));
    expect(visibleTools(policy, names, (n) => catalog.get(n)).map((t) => t.name)).toEqual(['get']);
    expect(visibleTools(undefined, names, (n) => catalog.get(n))).toEqual([]);
  });
});
