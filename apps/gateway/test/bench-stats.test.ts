// The gateway benchmark's statistics and verdicts (apps/gateway/bench/stats.ts): per-round ratios
// against the same round's direct run, medians with min–max, and the refusal to judge a noisy run.
import { describe, expect, it } from 'vitest';
import {
  directStability,
  median,
  relativeSpread,
  rotation,
  spread,
  summarize,
  verdictLine,
  verdicts,
  type RoundFigures,
} from '../bench/stats.ts';

const row = (round: number, target: string, rps8: number, p50: number, cpuOwn8?: number): RoundFigures => ({
  round,
  target,
  p50,
  p99: p50 * 3,
  rps1: 1000 / p50,
  rps8,
  ...(cpuOwn8 === undefined ? {} : { cpuOwn1: cpuOwn8 * 2, cpuOwn8, cpuChildren1: 0, cpuChildren8: 0 }),
});

const ctx = {
  directName: 'direct',
  mcpProxyName: 'mcp-proxy',
  floorP50: { median: 0.4, min: 0.3, max: 0.5, n: 3 },
  maxDirectSpread: 0.25,
};

describe('bench statistics', () => {
  it('takes medians of odd and even counts and skips missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([2, undefined, 1, 5])).toEqual({ median: 2, min: 1, max: 5, n: 3 });
    expect(spread([undefined])).toBeUndefined();
    expect(relativeSpread({ median: 1, min: 100, max: 125, n: 2 })).toBeCloseTo(0.25);
  });

  it('rotates the order by one place per round', () => {
    expect(rotation(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotation(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotation(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
  });

  it('computes ratios per round against that round’s direct run, not against a median direct', () => {
    // Round 0 is slow for everything, round 1 fast: the gateway is half of direct in both.
    const figures = [
      row(0, 'direct', 500, 2),
      row(0, 'gw', 250, 5, 1),
      row(1, 'direct', 1000, 1),
      row(1, 'gw', 500, 3, 1),
      row(2, 'gw', 999, 1, 1),
    ];
    const [direct, gw] = summarize(figures, ['direct', 'gw'], 'direct');
    expect(direct!.rps8).toEqual({ median: 750, min: 500, max: 1000, n: 2 });
    expect(gw!.rounds).toBe(3);
    // Round 2 has no direct run: it gives no ratio and no added latency.
    expect(gw!.ratio8).toEqual({ median: 0.5, min: 0.5, max: 0.5, n: 2 });
    expect(gw!.addedP50).toEqual({ median: 2.5, min: 2, max: 3, n: 2 });
    expect(gw!.cpuOwn8!.median).toBe(1);
  });

  it('gives met / not met per target from the medians, with mcp-proxy’s ratio as a floor', () => {
    const figures = [0, 1, 2].flatMap((r) => [
      row(r, 'direct', 1000, 2),
      row(r, 'gw', 950, 2.5, 0.2),
      row(r, 'slow', 700, 2.2, 0.2),
      row(r, 'mcp-proxy', 920, 2.1, 0.5),
    ]);
    const result = verdicts(summarize(figures, ['direct', 'gw', 'slow', 'mcp-proxy'], 'direct'), ctx);
    const byName = Object.fromEntries(result.map((v) => [v.target, v]));
    expect(byName.gw!.status).toBe('met');
    expect(byName.slow!.status).toBe('not met');
    expect(byName.slow!.checks.filter((c) => c.met === false).map((c) => c.name)).toEqual([
      'calls/s (8) vs direct',
      'calls/s (8) vs mcp-proxy',
    ]);
    // mcp-proxy is not compared with itself; its CPU is above the goal.
    expect(byName['mcp-proxy']!.checks.map((c) => c.name)).not.toContain('calls/s (8) vs mcp-proxy');
    expect(byName['mcp-proxy']!.status).toBe('not met');
    expect(result.map((v) => v.target)).not.toContain('direct');
    expect(verdictLine(byName.gw!)).toMatch(
      /^gw: MET — calls\/s \(8\) vs direct 0\.95 \(0\.95–0\.95\) ≥ 0\.9× ✓; .*added p50 \(1\) 0\.50 \(0\.50–0\.50\) ≤ 0\.90 ms \(floor 0\.40 \+ 0\.5\) ✓$/,
    );
  });

  it('refuses a verdict when direct moved more than the bound between rounds', () => {
    const figures = [
      row(0, 'direct', 1000, 2),
      row(0, 'gw', 950, 2.1, 0.1),
      row(1, 'direct', 1300, 2),
      row(1, 'gw', 1250, 2.1, 0.1),
    ];
    const summaries = summarize(figures, ['direct', 'gw'], 'direct');
    expect(directStability(summaries, ctx).stable).toBe(false);
    const [v] = verdicts(summaries, ctx);
    expect(v!.status).toBe('no verdict');
    expect(v!.reason).toMatch(/direct varied 30 %/);
    expect(verdicts(summaries, { ...ctx, maxDirectSpread: 0.35 })[0]!.status).toBe('met');
  });

  it('on a noisy run still says not met for a goal missed in every round, never met', () => {
    // Direct moves 30 %; the gateway is far below 0.9× direct and above 0.3 ms CPU in both rounds.
    const figures = [
      row(0, 'direct', 1000, 2),
      row(0, 'gw', 400, 6, 0.9),
      row(1, 'direct', 1300, 2),
      row(1, 'gw', 500, 6, 1.1),
    ];
    const [v] = verdicts(summarize(figures, ['direct', 'gw'], 'direct'), { ...ctx, mcpProxyName: undefined });
    expect(v!.status).toBe('not met');
    expect(v!.reason).toMatch(
      /^missed in every round: calls\/s \(8\) vs direct, own CPU\/call \(8\), added p50 \(1\); the rest unjudged, direct varied 30 %/,
    );
    // One round meeting the goal is enough to leave it unjudged.
    const mixed = [
      row(0, 'direct', 1000, 2),
      row(0, 'gw', 950, 2.1, 0.1),
      row(1, 'direct', 1300, 2),
      row(1, 'gw', 500, 2.1, 0.1),
    ];
    expect(
      verdicts(summarize(mixed, ['direct', 'gw'], 'direct'), { ...ctx, mcpProxyName: undefined })[0]!.status,
    ).toBe('no verdict');
  });

  it('gives no verdict for what was not measured', () => {
    const figures = [row(0, 'direct', 1000, 2), row(0, 'gw', 950, 2.1)];
    const [v] = verdicts(summarize(figures, ['direct', 'gw'], 'direct'), { ...ctx, mcpProxyName: undefined });
    expect(v!.status).toBe('no verdict');
    expect(v!.reason).toMatch(/own CPU/);
    expect(
      verdicts(summarize([row(0, 'gw', 1, 1, 0.1)], ['direct', 'gw'], 'direct'), ctx)[0]!.reason,
    ).toMatch(/direct failed in every round/);
  });
});
