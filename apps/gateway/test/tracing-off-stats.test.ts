// `npm run bench -- tracing`'s arithmetic (bench/stats.ts): each round's arms averaged over their
// blocks and paired within the round, the doubled arm against itself, and the verdict on the
// median's 95 % interval (no verdict when the noise is larger than the question).
import { describe, expect, it } from 'vitest';
import { medianInterval, tracingOffSummary, type ArmBlock } from '../bench/stats.ts';

const block = (arm: ArmBlock['arm'], cpuPerCall: number): ArmBlock => ({ arm, cpuPerCall });

describe('tracing-off bench summary', () => {
  it('pairs the arms within each round, averaging the doubled arm, so a drift inside a round cancels', () => {
    // Round 1 drifts up 10 µs a block (A B B A); round 2 runs 2× slower, without drift (B A A B).
    const s = tracingOffSummary([
      [block('shipped', 1005), block('bypassed', 1010), block('bypassed', 1020), block('shipped', 1035)],
      [block('bypassed', 2000), block('shipped', 2010), block('shipped', 2010), block('bypassed', 2000)],
    ])!;
    expect(s.rounds).toBe(2);
    // 1020 against 1015, 2010 against 2000: +0.49 % and +0.5 %.
    expect(s.relative.min).toBeCloseTo(1020 / 1015 - 1, 6);
    expect(s.relative.max).toBeCloseTo(0.005, 6);
    expect(s.absolute).toMatchObject({ min: 5, max: 10 });
    // Each arm against itself: +3 % and +1 % in round 1, 0 and 0 in round 2.
    expect(s.selfDifference).toMatchObject({ n: 4, max: expect.closeTo(1035 / 1005 - 1, 6), min: 0 });
    expect(s.roundsWithin).toBe(2);
    // Two rounds are too few for an interval of the median.
    expect(s.interval).toBeUndefined();
    expect(s.status).toBe('no verdict');
  });

  it('takes the 95 % interval of the median from order statistics', () => {
    // n = 30: P(B ≤ 9) = 0.021 ≤ 0.025 < P(B ≤ 10): the 10th smallest and the 10th largest.
    const thirty = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(medianInterval(thirty)).toEqual({ low: 10, high: 21 });
    expect(medianInterval([3, 1, 2, 6, 5, 4])).toEqual({ low: 1, high: 6 });
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
  });

  it('is met when the interval is within 1 %, not met when above it, and no verdict when it straddles', () => {
    const rounds = (...shipped: number[]) =>
      shipped.map((s) => [block('shipped', s), block('bypassed', 1000)]);
    const met = tracingOffSummary(rounds(1000, 1002, 1004, 998, 1001, 1003, 1009))!;
    expect(met.interval).toEqual({ low: expect.closeTo(-0.002, 9), high: expect.closeTo(0.009, 9) });
    expect(met.status).toBe('met');
    expect(met.roundsWithin).toBe(7);
    const notMet = tracingOffSummary(rounds(1020, 1030, 1015, 1025, 1011, 1040))!;
    expect(notMet.status).toBe('not met');
    expect(notMet.roundsWithin).toBe(0);
    const noisy = tracingOffSummary(rounds(900, 1100, 1000, 1050, 950, 1005))!;
    expect(noisy.relative.median).toBeCloseTo(0.0025, 6);
    expect(noisy.status).toBe('no verdict');
  });

  it('has nothing to say without a round that measured both arms', () => {
    expect(tracingOffSummary([])).toBeUndefined();
    expect(tracingOffSummary([[block('shipped', 1)]])).toBeUndefined();
  });
});
