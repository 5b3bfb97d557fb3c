// CPU of content guards per call, as the gateway runs them (guardArguments before forwarding,
// guardResult before the agent sees the answer), for issue #28's budget: with every detector on,
// ≤ 0.1 ms for 4 KB of arguments + results, and linear in size (a 1 MB result ≤ 50 ms). Prints the
// figures (median of rounds and their range), then a PASS/FAIL verdict on each budget; exits 0.
//   node --import tsx packages/guardrails/bench/guards.bench.ts      (npm run bench -- guards)
//   Knobs: BENCH_ROUNDS=9 (rounds per figure; each round is many calls, CPU time per call).
import os from 'node:os';
import { INJECTION_KEYWORDS } from '../src/injection.ts';
import { guardArguments, guardResult } from '../src/scan.ts';
import type { ActiveGuards } from '../src/scan.ts';
import { SECRET_RULE_KEYWORDS } from '../src/secret-rules.ts';

const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? '') || 9));
const BUDGET_4KB_MS = 0.1;
const BUDGET_1MB_RESULT_MS = 50;

const words =
  'the quick brown fox jumps over the lazy dog while the agent reads a timeline of posts about product launches and weekly metrics '.split(
    ' ',
  );
/** Ordinary prose with ids, URLs and numbers (what tool traffic looks like), `chars` long. */
function prose(chars: number, seed = 1): string {
  let out = '';
  let x = seed;
  while (out.length < chars) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const w = words[x % words.length]!;
    out +=
      x % 17 === 0 ? ` https://example.com/p/${x % 100000}` : x % 13 === 0 ? ` #${x % 1000000}` : ` ${w}`;
  }
  return out.slice(0, chars);
}

/**
 * The same prose after a line with a keyword of every secret rule, of the injection heuristic and of
 * the JWT check (no secret, no injection): every rule runs, so this is what the prefilter cannot save.
 */
const EVERY_KEYWORD = [
  ...Object.values(SECRET_RULE_KEYWORDS).map((keywords) => keywords[0]!),
  '@',
  INJECTION_KEYWORDS[0]!,
  'eyJ',
].join(' ');
const keywordProse = (chars: number, seed = 1) => `${EVERY_KEYWORD} ${prose(chars, seed)}`.slice(0, chars);

type Text = (chars: number, seed: number) => string;
function args(chars: number, text: Text = prose): Record<string, unknown> {
  return { query: text(chars / 2, 3), options: { note: text(chars / 2, 5), limit: 20 } };
}
function result(
  chars: number,
  text: Text = prose,
): { content: Array<{ type: 'text'; text: string }>; structuredContent?: unknown } {
  const half = Math.floor(chars / 2);
  return {
    content: [
      { type: 'text', text: text(half, 7) },
      { type: 'text', text: text(chars - half, 11) },
    ],
  };
}

type Guards = { arguments: ActiveGuards; results: ActiveGuards };
const RECOMMENDED: Guards = {
  arguments: new Map(),
  results: new Map([['secrets', 'redact']]),
};
const EVERYTHING: Guards = {
  arguments: new Map([
    ['secrets', 'block'],
    ['payment_card', 'block'],
    ['email', 'flag'],
    ['pattern:ticket', 'redact'],
  ]),
  results: new Map([
    ['secrets', 'redact'],
    ['email', 'redact'],
    ['phone', 'flag'],
    ['payment_card', 'redact'],
    ['iban', 'redact'],
    ['national_id', 'flag'],
    ['injection', 'flag'],
    ['pattern:ticket', 'redact'],
  ]),
};
const PATTERNS = { ticket: 'TICKET-[0-9]{4}' };

interface Figure {
  median: number;
  min: number;
  max: number;
}

/** CPU milliseconds per call of `call`: the median (and range) of ROUNDS rounds of `calls` calls. */
function cpuPerCall(call: () => void, calls: number): Figure {
  for (let i = 0; i < Math.min(calls, 50); i += 1) call();
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) call();
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / 1000 / calls);
  }
  rounds.sort((x, y) => x - y);
  const mid = rounds.length >> 1;
  const median = rounds.length % 2 ? rounds[mid]! : (rounds[mid - 1]! + rounds[mid]!) / 2;
  return { median, min: rounds[0]!, max: rounds[rounds.length - 1]! };
}

const callsFor = (total: number) => (total <= 4096 ? 2_000 : total <= 65_536 ? 100 : 10);
function both(guards: Guards, total: number, text: Text = prose): Figure {
  const a = args(Math.floor(total / 4), text);
  const r = result(total - Math.floor(total / 4), text);
  return cpuPerCall(() => {
    guardArguments(a, guards.arguments, PATTERNS);
    guardResult(r, guards.results, PATTERNS);
  }, callsFor(total));
}

const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const range = (f: Figure) => `${fmt(f.min)}–${fmt(f.max)}`;
const row = (label: string, f: Figure, bytes: number) =>
  console.log(
    `    ${label.padEnd(8)} ${fmt(f.median).padStart(10)} per call  (${range(f)})  ${((f.median / bytes) * 1024 * 1000).toFixed(1).padStart(6)} µs per KB`,
  );

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `CPU per call, arguments + result as the gateway scans them (median of ${ROUNDS} rounds, range); load average ${load()}:`,
);
const SIZES = [4 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];
let every4k: Figure | undefined;
for (const [name, guards] of [
  ['recommended (secrets redacted in results)', RECOMMENDED],
  ['every detector, both directions', EVERYTHING],
] as const) {
  console.log(`\n  ${name}`);
  for (const total of SIZES) {
    const f = both(guards, total);
    if (guards === EVERYTHING && total === 4096) every4k = f;
    row(`${total / 1024} KB`, f, total);
  }
}

// Issue #28's second figure: a result of 1 MB alone, every result detector on.
const bigResult = result(1024 * 1024);
const oneMbResult = cpuPerCall(() => guardResult(bigResult, EVERYTHING.results, PATTERNS), 10);
console.log('\n  every detector, a result alone');
row('1 MB', oneMbResult, 1024 * 1024);

console.log('\n  every detector, text holding every rule keyword (every rule runs; for comparison)');
for (const total of [4 * 1024, 1024 * 1024])
  row(`${total / 1024} KB`, both(EVERYTHING, total, keywordProse), total);

const verdict = (f: Figure, budget: number) => (f.median <= budget ? 'PASS' : 'FAIL');
console.log(`\nBudget (issue #28), every detector on, median of ${ROUNDS} rounds; load average ${load()}:`);
console.log(
  `  4 KB of arguments + result: ${fmt(every4k!.median)} (${range(every4k!)}) per call, budget ≤ ${BUDGET_4KB_MS * 1000} µs: ${verdict(every4k!, BUDGET_4KB_MS)}`,
);
console.log(
  `  1 MB result:                ${fmt(oneMbResult.median)} (${range(oneMbResult)}) per call, budget ≤ ${BUDGET_1MB_RESULT_MS} ms: ${verdict(oneMbResult, BUDGET_1MB_RESULT_MS)}`,
);
