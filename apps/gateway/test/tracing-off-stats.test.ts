// `npm run bench -- tracing`'s arithmetic (bench/stats.ts): rounds paired within a pair of gateway
// processes, one figure per pair (its phases, arms swapped between them, so a process's own speed
// cancels), and the verdict on the median across pairs by its 95 % interval (no verdict when the
// noise is larger than the question).
import { describe, expect, it } from 'vitest';
import { medianInterval, tracingOffSummary, type ArmBlock } from '../bench/stats.ts';

const round = (shipped: number, bypassed = 1000): ArmBlock[] => [
  { arm: 'shipped', cpuPerCall: shipped },
  { arm: 'bypassed', cpuPerCall: bypassed },
];
/** A pair of one phase whose rounds differ by `fraction` (two of three), at 1000 µs/call. */
const pair = (fraction: number) => [
  [round(1000 * (1 + fraction)), round(1000 * (1 + fraction)), round(1000)],
];

describe('tracing-off bench summary', () => {
  it('pairs the arms within each round and gives each pair the median of its rounds', () => {
    // One pair runs 2× slower throughout: its figure is still its own ratio.
    const s = tracingOffSummary([
      [[round(1010), round(1000), round(1005)]],
      [[round(2010, 2000), round(1990, 2000), round(2030, 2000)]],
    ])!;
    expect(s.pairs).toBe(2);
    expect(s.rounds).toBe(6);
    expect(s.perPair[0]).toBeCloseTo(0.005, 9);
    expect(s.perPair[1]).toBeCloseTo(0.005, 9);
    expect(s.absolute).toMatchObject({ min: -10, max: 30 });
    expect(s.shipped.max).toBe(2030);
    // Two pairs are too few for an interval of the median.
    expect(s.interval).toBeUndefined();
    expect(s.status).toBe('no verdict');
  });

  it('cancels a process that is faster than its twin for life: the arms swap between phases', () => {
    // Process X is 4 % faster than Y throughout; shipped costs +1 %. Phase 1: X shipped, Y bypassed.
    const x = 960;
    const y = 1000;
    const s = tracingOffSummary([
      [
        [round(x * 1.01, y), round(x * 1.01, y)],
        [round(y * 1.01, x), round(y * 1.01, x)],
      ],
    ])!;
    expect(s.perPair[0]).toBeCloseTo(0.01, 9);
  });

  it('takes the 95 % interval of the median from order statistics', () => {
    // n = 30: P(B ≤ 9) = 0.021 ≤ 0.025 < P(B ≤ 10): the 10th smallest and the 10th largest.
    const thirty = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(medianInterval(thirty)).toEqual({ low: 10, high: 21 });
    expect(medianInterval([3, 1, 2, 6, 5, 4])).toEqual({ low: 1, high: 6 });
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
  });

  it('is met when the interval is within 1 %, not met when above it, and no verdict when it straddles', () => {
    const met = tracingOffSummary([0, 0.002, 0.004, -0.002, 0.001, 0.003, 0.009].map(pair))!;
    expect(met.interval!.low).toBeCloseTo(-0.002, 9);
    expect(met.interval!.high).toBeCloseTo(0.009, 9);
    expect(met.status).toBe('met');
    expect(met.pairsWithin).toBe(7);
    const notMet = tracingOffSummary([0.02, 0.03, 0.015, 0.025, 0.011, 0.04].map(pair))!;
    expect(notMet.status).toBe('not met');
    expect(notMet.pairsWithin).toBe(0);
    const noisy = tracingOffSummary([-0.1, 0.1, 0, 0.05, -0.05, 0.005].map(pair))!;
    expect(noisy.relative.median).toBeCloseTo(0.0025, 9);
    expect(noisy.status).toBe('no verdict');
  });

  it('has nothing to say without a round that measured both arms', () => {
    expect(tracingOffSummary([])).toBeUndefined();
    expect(tracingOffSummary([[[[{ arm: 'shipped', cpuPerCall: 1 }]]]])).toBeUndefined();
  });
});
