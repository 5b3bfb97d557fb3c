// Decision latency on a 200-rule policy. Plain script (no framework) so it runs anywhere:
//   node --import tsx packages/policy/bench/evaluate.bench.ts

import { compilePolicy } from '../src/compile.ts';
import { evaluatePolicy, listVisibleTools } from '../src/evaluate.ts';
import type { PolicyDocument, ToolCall, ToolRule } from '../src/types.ts';

const RULE_COUNT = 200;
const tools: Record<string, ToolRule> = {
  '@read': { action: 'allow' },
  '@write': { rate_limit: { max: 30, window: 'minute' } },
  '@destructive': { action: 'require_approval' },
};
for (let i = 0; Object.keys(tools).length < RULE_COUNT; i++) {
  // A realistic mix: plain rules, limited rules, rules with argument conditions.
  tools[`tool_${i}`] =
    i % 3 === 0
      ? {
          limits: [
            { window: 'minute', max: 10 },
            { window: 'day', max: 500, scope: 'org', counter: 'daily' },
          ],
        }
      : i % 3 === 1
        ? {
            action: 'deny',
            conditions: [
              { when: { arg: 'text', regex: '(?i)crypto|airdrop|giveaway' }, action: 'deny', reason: 'spam' },
              {
                when: [
                  { arg: 'count', lte: 50 },
                  { arg: 'lang', in: ['en', 'fr', 'de'] },
                ],
                action: 'allow',
              },
            ],
          }
        : { action: i % 2 ? 'hide' : 'require_approval' };
}
const document: PolicyDocument = { version: '1', default: 'deny', tools };
const policy = compilePolicy(document);

const calls: ToolCall[] = [
  { tool: 'tool_0', args: {} },
  { tool: 'tool_1', args: { text: 'hello world, nothing to see here', count: 20, lang: 'en' } },
  { tool: 'tool_4', args: { text: 'free CRYPTO airdrop', count: 20, lang: 'en' } },
  { tool: 'tool_2', args: {} },
  { tool: 'unknown_read', args: {}, risk: { category: 'read' } },
  { tool: 'unknown_write', args: {}, risk: { category: 'write' } },
  { tool: 'unknown', args: {} },
];

function measure(label: string, iterations: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < 10_000; i++) fn(i); // warm-up for the JIT
  // Results are kept in `sink` so the loop body cannot be optimised away.
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += fn(i) ? 1 : 0;
  const elapsed = Number(process.hrtime.bigint() - start);
  console.log(
    `${label.padEnd(48)} ${(elapsed / iterations).toFixed(1).padStart(10)} ns/op  (${iterations} ops, ${sink} truthy)`,
  );
}

console.log(`policy: ${Object.keys(tools).length} rules`);
measure('evaluatePolicy (mixed calls, 200-rule policy)', 2_000_000, (i) =>
  evaluatePolicy(policy, calls[i % calls.length]!),
);
measure('evaluatePolicy (regex + numeric conditions)', 1_000_000, () => evaluatePolicy(policy, calls[1]!));
measure('compilePolicy (200 rules, incl. validation)', 2_000, () => compilePolicy(document));
const listing = Array.from({ length: 200 }, (_, i) => ({ name: `tool_${i}` }));
measure('listVisibleTools (200 tools)', 20_000, () => listVisibleTools(policy, listing));
