import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { windowToMs } from '../src/bounds.ts';
import { compilePolicy } from '../src/compile.ts';
import { applyCounterResults, evaluatePolicy, listVisibleTools } from '../src/evaluate.ts';
import type {
  CounterRequest,
  Decision,
  LimitSpec,
  PolicyDocument,
  RiskCategory,
  RuleAction,
  ToolRule,
} from '../src/types.ts';

const TOOL_NAMES = ['alpha', 'beta', 'gamma', 'delta'];
const CATEGORIES: RiskCategory[] = ['read', 'write', 'destructive'];
const action = fc.constantFrom<RuleAction>('allow', 'deny', 'hide', 'require_approval');
const rule = action.map((a): ToolRule => ({ action: a }));
const limit: fc.Arbitrary<LimitSpec> = fc.record(
  {
    window: fc.oneof(
      fc.constantFrom('second', 'minute', 'hour', 'day' as const),
      fc.integer({ min: 1, max: 86_400 }),
    ),
    max: fc.integer({ min: 1, max: 1000 }),
    scope: fc.constantFrom('grant', 'session', 'server', 'org', 'upstream' as const),
    counter: fc.constantFrom('a', 'b', 'shared'),
  },
  { requiredKeys: ['window', 'max'] },
);

const policyArb = fc.record({
  default: fc.constantFrom('allow' as const, 'deny' as const),
  exact: fc.dictionary(fc.constantFrom(...TOOL_NAMES), rule),
  classes: fc.dictionary(fc.constantFrom('@read', '@write', '@destructive'), rule),
  star: fc.option(rule, { nil: undefined }),
});

const callArb = fc.record({
  tool: fc.constantFrom(...TOOL_NAMES, 'unlisted'),
  category: fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
});

describe('precedence (property)', () => {
  it('exact name > risk class > * > default, and the winner decides alone', () => {
    fc.assert(
      fc.property(policyArb, callArb, (p, call) => {
        const doc: PolicyDocument = {
          version: '1',
          default: p.default,
          tools: { ...p.exact, ...p.classes, ...(p.star ? { '*': p.star } : {}) },
        };
        const decision = evaluatePolicy(compilePolicy(doc), {
          tool: call.tool,
          args: {},
          ...(call.category ? { risk: { category: call.category } } : {}),
        });
        const classKey = call.category ? `@${call.category}` : undefined;
        const [expectedPointer, expectedAction] =
          call.tool in p.exact
            ? [`/tools/${call.tool}`, p.exact[call.tool]!.action]
            : classKey && classKey in p.classes
              ? [`/tools/${classKey}`, p.classes[classKey]!.action]
              : p.star
                ? ['/tools/*', p.star.action]
                : ['(default)', p.default];
        expect(decision.rule).toBe(expectedPointer);
        expect(decision.effect).toBe(expectedAction);
        expect(decision.approval !== undefined).toBe(expectedAction === 'require_approval');
        expect(decision.reason !== undefined).toBe(expectedAction === 'deny' || expectedAction === 'hide');
        // Listing agrees with the decision for rules without conditions.
        const listed = listVisibleTools(doc, [
          { name: call.tool, risk: call.category ? { category: call.category } : undefined },
        ]);
        expect(listed.length === 1).toBe(expectedAction === 'allow' || expectedAction === 'require_approval');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('limits (property)', () => {
  it("allowed decisions carry exactly the rule's limits; refusals carry none", () => {
    fc.assert(
      fc.property(
        fc.option(limit, { nil: undefined }),
        fc.array(limit, { maxLength: 5 }),
        fc.constantFrom<RuleAction>('allow', 'deny', 'hide', 'require_approval'),
        (rateLimit, limits, ruleAction) => {
          const toolRule: ToolRule = {
            action: ruleAction,
            limits,
            ...(rateLimit ? { rate_limit: rateLimit } : {}),
          };
          const decision = evaluatePolicy(
            { version: '1', default: 'deny', tools: { t: toolRule } },
            { tool: 't', args: {} },
          );
          const specs: Array<[string, LimitSpec]> = [
            ...(rateLimit ? [['/tools/t/rate_limit', rateLimit] as [string, LimitSpec]] : []),
            ...limits.map((l, i): [string, LimitSpec] => [`/tools/t/limits/${i}`, l]),
          ];
          if (ruleAction === 'deny' || ruleAction === 'hide') {
            expect(decision.counters).toEqual([]);
            return;
          }
          expect(decision.counters).toEqual(
            specs.map(([pointer, l]) => ({
              name: l.counter ?? pointer.slice(1),
              scope: l.scope ?? 'grant',
              windowMs: windowToMs(l.window),
              max: l.max,
              rule: pointer,
              named: l.counter !== undefined,
            })),
          );
        },
      ),
    );
  });

  it('with a sliding-window store model, no window ever holds more than max allowed calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 80 }),
        (max, windowSeconds, gaps) => {
          const doc: PolicyDocument = {
            version: '1',
            default: 'deny',
            tools: { t: { rate_limit: { max, window: windowSeconds } } },
          };
          const policy = compilePolicy(doc);
          const windowMs = windowSeconds * 1000;
          const hits: number[] = [];
          // Reference store: entries newer than now - window count; retry when the oldest blocking entry expires.
          const reserve = (counter: CounterRequest, now: number) => {
            const live = hits.filter((at) => at > now - counter.windowMs);
            if (live.length >= counter.max) {
              return {
                ok: false as const,
                counter,
                retryAfterMs: live[live.length - counter.max]! + counter.windowMs - now,
              };
            }
            hits.push(now);
            return { ok: true as const };
          };
          let now = 0;
          for (const gap of gaps) {
            now += gap * 50;
            const decision: Decision = evaluatePolicy(policy, { tool: 't', args: {} });
            const final = applyCounterResults(decision, reserve(decision.counters[0]!, now));
            if (final.effect === 'rate_limited') {
              expect(final.rule).toBe('/tools/t/rate_limit');
              expect(final.retryAfterMs).toBeGreaterThan(0);
              expect(final.retryAfterMs).toBeLessThanOrEqual(windowMs);
              // Waiting retryAfterMs frees a slot.
              expect(hits.filter((at) => at > now + final.retryAfterMs! - windowMs).length).toBeLessThan(max);
            } else expect(final.effect).toBe('allow');
          }
          for (const start of hits) {
            expect(hits.filter((at) => at >= start && at < start + windowMs).length).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });

  it('numeric conditions: "allow only when count <= bound" allows exactly those calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100, max: 100 }),
        fc.oneof(fc.integer({ min: -200, max: 200 }), fc.double({ noNaN: true })),
        (bound, count) => {
          const doc: PolicyDocument = {
            version: '1',
            default: 'deny',
            tools: {
              t: { action: 'deny', conditions: [{ when: { arg: 'count', lte: bound }, action: 'allow' }] },
            },
          };
          const asNumber = evaluatePolicy(doc, { tool: 't', args: { count } }).effect;
          expect(asNumber).toBe(count <= bound ? 'allow' : 'deny');
          if (Number.isFinite(count))
            expect(evaluatePolicy(doc, { tool: 't', args: { count: String(count) } }).effect).toBe(asNumber);
        },
      ),
    );
  });
});
