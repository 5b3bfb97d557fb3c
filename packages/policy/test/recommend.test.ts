import { describe, expect, it } from 'vitest';
import { classifyTool } from '../src/classify.ts';
import { evaluatePolicy } from '../src/evaluate.ts';
import { recommendPolicy } from '../src/recommend.ts';
import { validatePolicy } from '../src/validate.ts';

describe('recommendPolicy', () => {
  const tools = ['get_tweet', 'send_tweet', 'delete_tweet'].map((name) => ({
    name,
    classification: classifyTool({ name }),
  }));
  const doc = recommendPolicy(tools);

  it('is compact: default deny plus one rule per risk class present', () => {
    expect(doc).toEqual({
      version: '1',
      default: 'deny',
      tools: {
        '@read': { action: 'allow' },
        '@write': { action: 'allow', rate_limit: { max: 30, window: 'minute', scope: 'grant' } },
        '@destructive': {
          action: 'require_approval',
          reason: 'Destructive tools need a person to approve each call.',
        },
      },
      guards: { results: { secrets: 'redact' } },
    });
    expect(validatePolicy(doc).ok).toBe(true);
  });

  it('behaves as recommended', () => {
    const decide = (name: string) => {
      const { category } = classifyTool({ name });
      return evaluatePolicy(doc, { tool: name, args: {}, risk: { category } });
    };
    expect(decide('get_tweet')).toMatchObject({ effect: 'allow', counters: [] });
    expect(decide('send_tweet')).toMatchObject({
      effect: 'allow',
      counters: [{ max: 30, windowMs: 60_000, scope: 'grant' }],
    });
    expect(decide('delete_tweet')).toMatchObject({
      effect: 'require_approval',
      approval: { timeoutMs: 300_000 },
    });
  });

  it('leaves out classes with no tools', () => {
    expect(recommendPolicy([{ classification: { category: 'read' } }]).tools).toEqual({
      '@read': { action: 'allow' },
    });
  });
});
