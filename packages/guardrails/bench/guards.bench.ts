// CPU of content guards per call, as the gateway runs them (guardArguments before forwarding,
// guardResult before the agent sees the answer), for issue #28's budget: ≤ 0.1 ms for 4 KB of
// arguments + results, and linear in size (a 1 MB result ≤ 50 ms). Prints figures; asserts nothing.
//   node --import tsx packages/guardrails/bench/guards.bench.ts
import { guardArguments, guardResult } from '../src/scan.ts';
import type { ActiveGuards } from '../src/scan.ts';

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

function args(chars: number): Record<string, unknown> {
  return { query: prose(chars / 2, 3), options: { note: prose(chars / 2, 5), limit: 20 } };
}
function result(chars: number): {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: unknown;
} {
  const half = Math.floor(chars / 2);
  return {
    content: [
      { type: 'text', text: prose(half, 7) },
      { type: 'text', text: prose(chars - half, 11) },
    ],
  };
}

const RECOMMENDED: { arguments: ActiveGuards; results: ActiveGuards } = {
  arguments: new Map(),
  results: new Map([['secrets', 'redact']]),
};
const EVERYTHING: { arguments: ActiveGuards; results: ActiveGuards } = {
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

function cpuPerCall(
  guards: typeof RECOMMENDED,
  a: Record<string, unknown>,
  r: ReturnType<typeof result>,
  calls: number,
): number {
  for (let i = 0; i < Math.min(calls, 50); i += 1) {
    guardArguments(a, guards.arguments, PATTERNS);
    guardResult(r, guards.results, PATTERNS);
  }
  const rounds: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) {
      guardArguments(a, guards.arguments, PATTERNS);
      guardResult(r, guards.results, PATTERNS);
    }
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / 1000 / calls);
  }
  rounds.sort((x, y) => x - y);
  return rounds[2]!; // median of 5
}

const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
console.log('CPU per call (median of 5 rounds), arguments + result as the gateway scans them:');
for (const [name, guards] of [
  ['recommended (secrets redacted in results)', RECOMMENDED],
  ['every detector, both directions', EVERYTHING],
] as const) {
  console.log(`\n  ${name}`);
  for (const total of [4 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024]) {
    const a = args(Math.floor(total / 4));
    const r = result(total - Math.floor(total / 4));
    const calls = total <= 4096 ? 2_000 : total <= 65_536 ? 100 : 10;
    const ms = cpuPerCall(guards, a, r, calls);
    console.log(
      `    ${`${total / 1024} KB`.padEnd(8)} ${fmt(ms).padStart(10)} per call   ${((ms / total) * 1024 * 1000).toFixed(1).padStart(6)} µs per KB`,
    );
  }
}
console.log('\nBudget (issue #28): 4 KB ≤ 0.1 ms per call; 1 MB result ≤ 50 ms.');
