// `npm run bench -- tracing`'s stand-in for src/ops/tracing.ts in the gateway of its "bypassed"
// arm (tracing-bypass-hooks.mjs resolves every import of that module here): each helper the
// tools/call path calls is the bare call it wraps (`run()`, no check, no span), so that gateway runs
// the path as if it had no tracing wrappers. Start-up and shutdown stay the shipped functions.
// With BENCH_TRACING_COUNT=1 the helpers also count their calls and print the counts on exit (the
// bench's check that the path really goes through here; never in a measured gateway).
import * as shipped from '../src/ops/tracing.ts';

export type { TracingEnv } from '../src/ops/tracing.ts';
export const tracingRequested = shipped.tracingRequested;
export const startTracing = shipped.startTracing;
export const flushTracing = shipped.flushTracing;
export const stopTracing = shipped.stopTracing;

const bypassed = {
  tracingOn: () => false,
  atEdge: (_headers, run) => run(),
  timeAuthentication: (run) => run(),
  inRequestSpan: (_name, _meta, _attributes, run) => run(undefined),
  inSpan: (_name, run) => run(undefined),
  recordSpan: () => undefined,
  outgoingContext: () => undefined,
  activeTraceId: () => null,
} satisfies Pick<
  typeof shipped,
  | 'tracingOn'
  | 'atEdge'
  | 'timeAuthentication'
  | 'inRequestSpan'
  | 'inSpan'
  | 'recordSpan'
  | 'outgoingContext'
  | 'activeTraceId'
>;

function counted<T extends Record<string, (...args: never[]) => unknown>>(helpers: T): T {
  const counts: Record<string, number> = {};
  process.on('exit', () => console.log(`tracing-bypassed counts ${JSON.stringify(counts)}`));
  return Object.fromEntries(
    Object.entries(helpers).map(([name, fn]) => [
      name,
      (...args: never[]) => {
        counts[name] = (counts[name] ?? 0) + 1;
        return fn(...args);
      },
    ]),
  ) as T;
}

const helpers = process.env.BENCH_TRACING_COUNT === '1' ? counted(bypassed) : bypassed;
export const tracingOn = helpers.tracingOn;
export const atEdge = helpers.atEdge;
export const timeAuthentication = helpers.timeAuthentication;
export const inRequestSpan = helpers.inRequestSpan;
export const inSpan = helpers.inSpan;
export const recordSpan = helpers.recordSpan;
export const outgoingContext = helpers.outgoingContext;
export const activeTraceId = helpers.activeTraceId;
