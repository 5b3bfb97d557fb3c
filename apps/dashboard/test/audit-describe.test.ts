import { describe, expect, it } from 'vitest';
import { describeOutcome, describeTarget, PENDING_HORIZON_MS } from '../src/modules/audit/audit';

describe('audit event descriptions', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');

  it('shows a recent pending call as pending and an old one as unknown, never as success', () => {
    expect(describeOutcome({ upstreamOutcome: 'pending', createdAt: new Date(now - 1_000) }, now)).toMatch(
      /^pending/,
    );
    const stale = describeOutcome(
      { upstreamOutcome: 'pending', createdAt: new Date(now - PENDING_HORIZON_MS - 1) },
      now,
    );
    expect(stale).toMatch(/^unknown .*may have run/);
    expect(
      describeOutcome({ upstreamOutcome: 'ok', createdAt: new Date(now - PENDING_HORIZON_MS * 10) }, now),
    ).toBe('ok');
  });

  it('says a call that was sent and then cancelled, or never answered, may have run', () => {
    expect(describeOutcome({ upstreamOutcome: 'cancelled', createdAt: new Date(now) }, now)).toMatch(
      /^cancelled .*may have run/,
    );
    expect(describeOutcome({ upstreamOutcome: 'unknown', createdAt: new Date(now) }, now)).toMatch(
      /^unknown .*may have run/,
    );
  });

  it('names the method and target of resource and prompt requests', () => {
    expect(describeTarget({ method: 'tools/call', toolName: 'send_tweet' })).toBe('send_tweet');
    expect(describeTarget({ method: 'resources/read', toolName: 'file:///etc/hosts' })).toBe(
      'resources/read file:///etc/hosts',
    );
    expect(describeTarget({ method: 'prompts/get', toolName: null })).toBe('prompts/get');
  });
});
