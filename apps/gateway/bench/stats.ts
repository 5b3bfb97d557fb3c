// The gateway benchmark's statistics and verdicts, kept free of I/O so they are unit-tested
// (apps/gateway/test/bench-stats.test.ts). Every target is measured once per round; ratios and
// added latency are taken per round against that round's direct run, then summarized across rounds
// as the median with the min–max beside it.

/** One target's figures from one round. CPU figures are ms per call; absent for targets without a process (direct). */
export interface RoundFigures {
  round: number;
  target: string;
  p50: number;
  p99: number;
  rps1: number;
  rps8: number;
  /** Calls measured in each phase (a phase may stop at its time limit first). */
  calls1?: number;
  calls8?: number;
  cpuOwn1?: number;
  cpuOwn8?: number;
  cpuChildren1?: number;
  cpuChildren8?: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many rounds gave a value. */
  n: number;
}

export interface TargetSummary {
  target: string;
  rounds: number;
  p50: Spread;
  p99: Spread;
  /** p50 minus the same round's direct p50. */
  addedP50?: Spread;
  rps1: Spread;
  rps8: Spread;
  /** calls/s at 8 clients divided by the same round's direct calls/s at 8 clients. */
  ratio8?: Spread;
  cpuOwn1?: Spread;
  cpuOwn8?: Spread;
  cpuChildren1?: Spread;
  cpuChildren8?: Spread;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, min and max; undefined for no values. */
export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return undefined;
  return { median: median(present), min: Math.min(...present), max: Math.max(...present), n: present.length };
}

/** max/min − 1: 0.25 means the largest round was 25 % above the smallest. */
export function relativeSpread(s: Spread): number {
  return s.min > 0 ? s.max / s.min - 1 : Number.POSITIVE_INFINITY;
}

/** The p-th percentile (nearest rank, 0–100) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no values');
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Targets in the order a round measures them: rotated by one place per round. */
export function rotation<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = ((round % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * Per-target summaries across rounds. `directName` names the baseline; a round whose direct run
 * failed contributes no ratio or added latency for any target.
 */
export function summarize(
  figures: readonly RoundFigures[],
  targets: readonly string[],
  directName: string,
): TargetSummary[] {
  const directByRound = new Map(figures.filter((f) => f.target === directName).map((f) => [f.round, f]));
  const summaries: TargetSummary[] = [];
  for (const target of targets) {
    const rows = figures.filter((f) => f.target === target);
    if (rows.length === 0) continue;
    const paired = rows
      .map((r) => ({ r, d: directByRound.get(r.round) }))
      .filter((x): x is { r: RoundFigures; d: RoundFigures } => x.d !== undefined);
    const optional = (key: keyof TargetSummary, s: Spread | undefined) => (s ? { [key]: s } : {});
    summaries.push({
      target,
      rounds: rows.length,
      p50: spread(rows.map((r) => r.p50))!,
      p99: spread(rows.map((r) => r.p99))!,
      rps1: spread(rows.map((r) => r.rps1))!,
      rps8: spread(rows.map((r) => r.rps8))!,
      ...optional('addedP50', spread(paired.map(({ r, d }) => r.p50 - d.p50))),
      ...optional('ratio8', spread(paired.map(({ r, d }) => r.rps8 / d.rps8))),
      ...optional('cpuOwn1', spread(rows.map((r) => r.cpuOwn1))),
      ...optional('cpuOwn8', spread(rows.map((r) => r.cpuOwn8))),
      ...optional('cpuChildren1', spread(rows.map((r) => r.cpuChildren1))),
      ...optional('cpuChildren8', spread(rows.map((r) => r.cpuChildren8))),
    });
  }
  return summaries;
}

/** The gateway issue's targets. */
export const GOALS = {
  /** calls/s at 8 clients, as a fraction of direct (and at least mcp-proxy's fraction). */
  minRatio8: 0.9,
  /** The proxy's own process CPU per call at 8 clients, ms. */
  maxCpuOwn8: 0.3,
  /** Added p50 at 1 client may exceed the durable-commit floor's p50 by this much, ms. */
  addedP50Margin: 0.5,
} as const;

export interface Check {
  name: string;
  goal: string;
  /** Median across rounds, with min–max; undefined when not measured. */
  value: Spread | undefined;
  met: boolean | undefined;
  /** Missed in every round (its best round still on the wrong side of the goal): holds however noisy the run. */
  missedEveryRound: boolean;
}

export interface Verdict {
  target: string;
  /**
   * 'no verdict' when direct moved more than the allowed spread between rounds (unless a goal was
   * missed in every round, which is 'not met' however noisy), or nothing was measured.
   */
  status: 'met' | 'not met' | 'no verdict';
  reason?: string;
  checks: Check[];
}

export interface VerdictContext {
  directName: string;
  /** The mcp-proxy row's name: its ratio is a floor for every other target's. */
  mcpProxyName?: string;
  /** Durable-commit floor p50 per round, ms. */
  floorP50: Spread | undefined;
  /** Allowed max/min − 1 of direct's calls/s (8) and p50 across rounds. */
  maxDirectSpread: number;
}

/** Whether direct itself held still enough between rounds for ratios to mean anything. */
export function directStability(
  summaries: readonly TargetSummary[],
  ctx: VerdictContext,
): { stable: boolean; reason?: string; rps8Spread?: number; p50Spread?: number } {
  const direct = summaries.find((s) => s.target === ctx.directName);
  if (!direct) return { stable: false, reason: 'direct failed in every round' };
  const rps8Spread = relativeSpread(direct.rps8);
  const p50Spread = relativeSpread(direct.p50);
  const worst = Math.max(rps8Spread, p50Spread);
  if (worst > ctx.maxDirectSpread) {
    const what =
      rps8Spread >= p50Spread
        ? `calls/s (8) ${fmtSpread(direct.rps8, 0)}`
        : `p50 ${fmtSpread(direct.p50, 2)} ms`;
    return {
      stable: false,
      reason: `direct varied ${pct(worst)} between rounds (${what}), more than BENCH_MAX_DIRECT_SPREAD=${pct(ctx.maxDirectSpread)}: the machine was too noisy for a verdict`,
      rps8Spread,
      p50Spread,
    };
  }
  return { stable: true, rps8Spread, p50Spread };
}

export function verdicts(summaries: readonly TargetSummary[], ctx: VerdictContext): Verdict[] {
  const stability = directStability(summaries, ctx);
  const mcpProxy = ctx.mcpProxyName ? summaries.find((s) => s.target === ctx.mcpProxyName) : undefined;
  const result: Verdict[] = [];
  for (const s of summaries) {
    if (s.target === ctx.directName) continue;
    const checks: Check[] = [];
    checks.push({
      name: 'calls/s (8) vs direct',
      goal: `≥ ${GOALS.minRatio8}×`,
      value: s.ratio8,
      met: s.ratio8 ? s.ratio8.median >= GOALS.minRatio8 : undefined,
      missedEveryRound: s.ratio8 !== undefined && s.ratio8.max < GOALS.minRatio8,
    });
    if (mcpProxy && mcpProxy.target !== s.target) {
      checks.push({
        name: 'calls/s (8) vs mcp-proxy',
        goal: mcpProxy.ratio8
          ? `≥ ${mcpProxy.ratio8.median.toFixed(2)}× (mcp-proxy)`
          : '≥ mcp-proxy (not measured)',
        value: s.ratio8,
        met: s.ratio8 && mcpProxy.ratio8 ? s.ratio8.median >= mcpProxy.ratio8.median : undefined,
        missedEveryRound:
          s.ratio8 !== undefined && mcpProxy.ratio8 !== undefined && s.ratio8.max < mcpProxy.ratio8.min,
      });
    }
    checks.push({
      name: 'own CPU/call (8)',
      goal: `≤ ${GOALS.maxCpuOwn8} ms`,
      value: s.cpuOwn8,
      met: s.cpuOwn8 ? s.cpuOwn8.median <= GOALS.maxCpuOwn8 : undefined,
      missedEveryRound: s.cpuOwn8 !== undefined && s.cpuOwn8.min > GOALS.maxCpuOwn8,
    });
    const limit = ctx.floorP50 ? ctx.floorP50.median + GOALS.addedP50Margin : undefined;
    checks.push({
      name: 'added p50 (1)',
      goal:
        limit === undefined
          ? `≤ floor + ${GOALS.addedP50Margin} ms (floor not measured)`
          : `≤ ${limit.toFixed(2)} ms (floor ${ctx.floorP50!.median.toFixed(2)} + ${GOALS.addedP50Margin})`,
      value: s.addedP50,
      met: s.addedP50 && limit !== undefined ? s.addedP50.median <= limit : undefined,
      missedEveryRound:
        s.addedP50 !== undefined &&
        ctx.floorP50 !== undefined &&
        s.addedP50.min > ctx.floorP50.max + GOALS.addedP50Margin,
    });
    let status: Verdict['status'];
    let reason: string | undefined;
    const missed = checks.filter((c) => c.missedEveryRound);
    if (!stability.stable && missed.length > 0) {
      // Noise can hide a success, not a miss in every single round: that verdict stands.
      status = 'not met';
      reason = `missed in every round: ${missed.map((c) => c.name).join(', ')}; the rest unjudged, ${stability.reason}`;
    } else if (!stability.stable) {
      status = 'no verdict';
      reason = stability.reason;
    } else if (checks.some((c) => c.met === undefined)) {
      status = 'no verdict';
      reason = `not measured: ${checks
        .filter((c) => c.met === undefined)
        .map((c) => c.name)
        .join(', ')}`;
    } else {
      status = checks.every((c) => c.met) ? 'met' : 'not met';
    }
    result.push({ target: s.target, status, ...(reason ? { reason } : {}), checks });
  }
  return result;
}

export function pct(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(0)} %` : '∞';
}

/** "1.23 (1.10–1.40)" */
export function fmtSpread(s: Spread | undefined, digits: number): string {
  if (!s) return '–';
  if (s.n === 1) return s.median.toFixed(digits);
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** One line per target: "portcullis gateway: not met — calls/s (8) vs direct 0.55 (0.50–0.60) ≥ 0.9× ✗; …" */
export function verdictLine(v: Verdict): string {
  const checks = v.checks
    .map((c) => {
      const digits = c.name.startsWith('own CPU') ? 3 : 2;
      const mark = c.met === undefined ? '?' : c.met ? '✓' : '✗';
      return `${c.name} ${fmtSpread(c.value, digits)} ${c.goal} ${mark}`;
    })
    .join('; ');
  return `${v.target}: ${v.status.toUpperCase()}${v.reason ? ` (${v.reason})` : ''} — ${checks}`;
}

/** #29: tracing off may cost at most this fraction of the gateway's CPU per call. */
export const TRACING_OFF_MAX = 0.01;

/** One measured block of `npm run bench -- tracing`: an arm, and its gateway's CPU per call in it (µs). */
export interface ArmBlock {
  arm: 'shipped' | 'bypassed';
  cpuPerCall: number;
}

export interface TracingOffSummary {
  /** Pairs of gateway processes, and rounds in all. */
  pairs: number;
  rounds: number;
  /** Per pair of processes, shipped ÷ bypassed − 1 over its phases (0.004 is +0.4 %). */
  perPair: number[];
  /** Across pairs: the median of `perPair`, with min–max. */
  relative: Spread;
  /** Per round, shipped − bypassed, µs per call. */
  absolute: Spread;
  shipped: Spread;
  bypassed: Spread;
  /** A 95 % interval of the median across pairs (order statistics: no assumption on the noise). */
  interval: { low: number; high: number } | undefined;
  /** Pairs whose difference is within the target. */
  pairsWithin: number;
  /** 'no verdict': the interval straddles the target, i.e. this run's noise is larger than the question. */
  status: 'met' | 'not met' | 'no verdict';
}

/**
 * A distribution-free interval for the median of `values`: the k-th smallest and k-th largest,
 * k the largest rank with P(Binomial(n, ½) < k) ≤ (1 − confidence) / 2. Undefined below 6 values
 * (too few for a 95 % interval).
 */
export function medianInterval(
  values: readonly number[],
  confidence = 0.95,
): { low: number; high: number } | undefined {
  const n = values.length;
  const tail = (1 - confidence) / 2;
  // P(B ≤ j) for j = 0, 1, …, accumulated; k is one more than the last j within the tail.
  let p = Math.pow(0.5, n);
  let cdf = p;
  let k = 0;
  for (let j = 0; j < n && cdf <= tail; j++) {
    k = j + 1;
    p = (p * (n - j)) / (j + 1);
    cdf += p;
  }
  if (k === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { low: sorted[k - 1]!, high: sorted[n - k]! };
}

/** One round: both gateways of a pair at once, one block each. */
export type Round = readonly ArmBlock[];
/** A pair's rounds between two swaps of the arms (each process serves one arm in a phase). */
export type Phase = readonly Round[];
/** A pair of gateway processes: its phases, the arms swapped between them. */
export type Pair = readonly Phase[];

/**
 * Rounds measured on pairs of processes, both at once (the round is the unit of pairing), each
 * process serving one arm in the first phase and the other in the second. A process keeps its
 * speed (heap layout, JIT decisions) for life: in one phase that reads as a difference between the
 * arms, in the swapped phase as the opposite one, so a pair's figure is the geometric mean over
 * its phases of 1 + the median of the phase's rounds, minus 1. The verdict is on the median across
 * pairs: met when its 95 % interval is within `max`, not met when wholly above it, else no verdict.
 */
export function tracingOffSummary(
  pairs: readonly Pair[],
  max = TRACING_OFF_MAX,
): TracingOffSummary | undefined {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const paired = (round: Round) => {
    const of = (arm: ArmBlock['arm']) => round.filter((b) => b.arm === arm).map((b) => b.cpuPerCall);
    const [s, b] = [of('shipped'), of('bypassed')];
    return s.length && b.length ? [{ s: mean(s), b: mean(b) }] : [];
  };
  const all = pairs.flatMap((pair) => pair.flatMap((phase) => phase.flatMap(paired)));
  const perPair = pairs.flatMap((pair) => {
    const phases = pair
      .map((phase) => phase.flatMap(paired))
      .filter((rounds) => rounds.length > 0)
      .map((rounds) => 1 + median(rounds.map((p) => p.s / p.b - 1)));
    return phases.length
      ? [
          Math.pow(
            phases.reduce((a, b) => a * b, 1),
            1 / phases.length,
          ) - 1,
        ]
      : [];
  });
  const relative = spread(perPair);
  if (!relative) return undefined;
  const interval = medianInterval(perPair);
  return {
    pairs: perPair.length,
    rounds: all.length,
    perPair,
    relative,
    absolute: spread(all.map((p) => p.s - p.b))!,
    shipped: spread(all.map((p) => p.s))!,
    bypassed: spread(all.map((p) => p.b))!,
    interval,
    pairsWithin: perPair.filter((r) => r <= max).length,
    status: !interval
      ? 'no verdict'
      : interval.high <= max
        ? 'met'
        : interval.low > max
          ? 'not met'
          : 'no verdict',
  };
}
