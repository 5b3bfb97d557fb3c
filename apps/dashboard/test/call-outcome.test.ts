import { describe, expect, it } from 'vitest';
import { approvalOutcome, callOutcome } from '../src/modules/audit/call-outcome';
import { chartTicks, chartWindow } from '../src/modules/audit/audit';

const now = Date.parse('2026-12-03T12:00:00Z');
const at = new Date(now - 1_000);

describe('call outcomes in words', () => {
  it('says ran, failed upstream with the error, refused, expired and cancelled, each in its colour', () => {
    expect(callOutcome({ decision: 'allow', upstreamOutcome: 'ok', createdAt: at }, now)).toMatchObject({
      words: 'ran',
      tone: 'green',
    });
    expect(
      callOutcome(
        { decision: 'allow', upstreamOutcome: 'error', upstreamError: 'HTTP 502', createdAt: at },
        now,
      ),
    ).toEqual({
      words: 'failed upstream',
      tone: 'red',
      detail: 'HTTP 502',
    });
    expect(
      callOutcome({ decision: 'deny', upstreamOutcome: 'not_sent', reason: 'No', createdAt: at }, now),
    ).toMatchObject({ words: 'refused', tone: 'red' });
    // A tool the toolset leaves out (docs/toolsets.md), refused as not available.
    expect(
      callOutcome(
        {
          decision: 'hide',
          upstreamOutcome: 'not_sent',
          ruleId: '(toolset)',
          reason: 'Tool twikit__x is not available',
          createdAt: at,
        },
        now,
      ),
    ).toEqual({
      words: 'refused: not in the toolset',
      tone: 'slate',
      detail: 'Tool twikit__x is not available',
    });
    // Allowed, but the server is behind sign-in and the grant's person has no account (issue #25).
    expect(
      callOutcome(
        {
          decision: 'allow',
          upstreamOutcome: 'needs_connection',
          upstreamError: 'Notes needs…',
          createdAt: at,
        },
        now,
      ),
    ).toEqual({ words: 'not sent: account not connected', tone: 'amber', detail: 'Notes needs…' });
    expect(
      callOutcome({ decision: 'rate_limited', upstreamOutcome: 'not_sent', createdAt: at }, now).words,
    ).toBe('refused: rate limited');
    const held = { decision: 'require_approval', upstreamOutcome: 'not_sent', createdAt: at };
    expect(callOutcome({ ...held, approvalStatus: 'expired', approvalNote: 'timed out' }, now)).toMatchObject(
      { words: 'expired', tone: 'slate' },
    );
    expect(
      callOutcome({ ...held, approvalStatus: 'expired', approvalNote: 'cancelled by the client' }, now).words,
    ).toBe('cancelled by the client');
    expect(callOutcome({ ...held, approvalStatus: 'denied', approvalNote: 'not today' }, now)).toEqual({
      words: 'refused: denied by a person',
      tone: 'red',
      detail: 'note: not today',
    });
    expect(callOutcome({ ...held, approvalStatus: 'pending' }, now).words).toBe('waiting for approval');
    // The hand-back row of a call the agent repeated later: what became of its approval.
    const handedBack = { ...held, reason: 'Waiting for approval: a person has been asked' };
    expect(callOutcome({ ...handedBack, approvalStatus: 'consumed' }, now).words).toBe(
      'handed back; approved later',
    );
    expect(callOutcome({ ...handedBack, approvalStatus: 'denied', approvalNote: 'no' }, now)).toMatchObject({
      words: 'handed back; denied later',
      detail: 'note: no',
    });
    // Approved, then refused anyway (the policy changed meanwhile): refused, with the reason.
    expect(
      callOutcome({ ...held, approvalStatus: 'consumed', reason: 'The policy changed' }, now),
    ).toMatchObject({ words: 'refused', detail: 'The policy changed' });
    expect(
      callOutcome({ decision: 'allow', upstreamOutcome: 'cancelled', createdAt: at }, now).detail,
    ).toMatch(/may have run/);
  });

  it('never shows a consumed approval whose call failed upstream as a success', () => {
    const failed = approvalOutcome(
      {
        status: 'consumed',
        note: null,
        run: { upstreamOutcome: 'error', upstreamError: 'connection reset', createdAt: at },
      },
      now,
    );
    expect(failed).toEqual({ words: 'approved; failed upstream', tone: 'red', detail: 'connection reset' });
    const ran = approvalOutcome(
      { status: 'consumed', note: null, run: { upstreamOutcome: 'ok', upstreamError: null, createdAt: at } },
      now,
    );
    expect(ran).toMatchObject({ words: 'approved; ran', tone: 'green' });
    expect(approvalOutcome({ status: 'consumed', note: null, run: null }, now).tone).not.toBe('green');
    expect(
      approvalOutcome({ status: 'expired', note: 'cancelled by the client', run: null }, now).words,
    ).toBe('cancelled by the client');
  });
});

describe('audit chart window', () => {
  it('fits bucket size to the range: one-minute bars for half an hour, half hours for a day, half days for a month', () => {
    const to = new Date(now);
    expect(chartWindow(new Date(now - 30 * 60_000), to).bucketMs).toBe(60_000);
    expect(chartWindow(new Date(now - 24 * 3_600_000), to).bucketMs).toBe(30 * 60_000);
    expect(chartWindow(new Date(now - 30 * 86_400_000), to).bucketMs).toBe(12 * 3_600_000);
    // Buckets start on whole multiples of their size.
    const w = chartWindow(new Date(now - 6 * 3_600_000 + 7 * 60_000), to);
    expect(w.from.getTime() % w.bucketMs).toBe(0);
    expect((to.getTime() - w.from.getTime()) / w.bucketMs).toBeLessThanOrEqual(61);
  });

  it('labels the time axis with round times worded for the range', () => {
    const to = new Date(now);
    const day = chartWindow(new Date(now - 24 * 3_600_000), to);
    const ticks = chartTicks(day.from, to, day.bucketMs);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(8);
    for (const t of ticks) expect(t.label).toMatch(/^\d\d:\d\d$/);
    const month = chartWindow(new Date(now - 30 * 86_400_000), to);
    for (const t of chartTicks(month.from, to, month.bucketMs)) expect(t.label).toMatch(/^\d\d-\d\d$/);
  });
});
