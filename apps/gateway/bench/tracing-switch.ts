// `npm run bench -- tracing`'s stand-in for src/ops/tracing.ts in the gateways it measures
// (tracing-switch-hooks.mjs resolves every import of that module here). Each helper the tools/call
// path calls is a live binding to either the shipped function itself (arm "shipped") or the bare
// call it wraps (arm "bypassed": `run()`, no check, no span). BENCH_TRACING_ARM picks the arm at
// start; the bench swaps it once, halfway, through a control endpoint on 127.0.0.1 (so each
// process serves both arms and its own speed cancels out). Start-up and shutdown stay the shipped
// functions. BENCH_TRACING_ARM=counting is the bypass counting its calls, printed on exit (the
// bench's check that the path really goes through here; never in a measured gateway).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as shipped from '../src/ops/tracing.ts';

export type { TracingEnv } from '../src/ops/tracing.ts';
export const tracingRequested = shipped.tracingRequested;
export const startTracing = shipped.startTracing;
export const flushTracing = shipped.flushTracing;
export const stopTracing = shipped.stopTracing;

const asShipped = {
  tracingOn: shipped.tracingOn,
  atEdge: shipped.atEdge,
  timeAuthentication: shipped.timeAuthentication,
  inRequestSpan: shipped.inRequestSpan,
  inSpan: shipped.inSpan,
  recordSpan: shipped.recordSpan,
  outgoingContext: shipped.outgoingContext,
  activeTraceId: shipped.activeTraceId,
};
type Helpers = typeof asShipped;

const bypassed: Helpers = {
  tracingOn: () => false,
  atEdge: (_headers, run) => run(),
  timeAuthentication: (run) => run(),
  inRequestSpan: (_name, _meta, _attributes, run) => run(undefined),
  inSpan: (_name, run) => run(undefined),
  recordSpan: () => undefined,
  outgoingContext: () => undefined,
  activeTraceId: () => null,
};

function counting(): Helpers {
  const counts: Record<string, number> = {};
  process.on('exit', () => console.log(`tracing-switch counts ${JSON.stringify(counts)}`));
  return Object.fromEntries(
    Object.entries(bypassed).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        counts[name] = (counts[name] ?? 0) + 1;
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as Helpers;
}

const ARMS = { shipped: asShipped, bypassed } as const;
const start = process.env.BENCH_TRACING_ARM;
let arm = start === 'counting' ? 'counting' : start === 'bypassed' ? 'bypassed' : 'shipped';
const initial = start === 'counting' ? counting() : ARMS[arm as keyof typeof ARMS];

export let tracingOn = initial.tracingOn;
export let atEdge = initial.atEdge;
export let timeAuthentication = initial.timeAuthentication;
export let inRequestSpan = initial.inRequestSpan;
export let inSpan = initial.inSpan;
export let recordSpan = initial.recordSpan;
export let outgoingContext = initial.outgoingContext;
export let activeTraceId = initial.activeTraceId;

if (start) {
  const control = http.createServer((req, res) => {
    const set = /^\/arm\/(shipped|bypassed)$/.exec(req.url ?? '');
    if (req.method === 'POST' && set) {
      arm = set[1]!;
      ({
        tracingOn,
        atEdge,
        timeAuthentication,
        inRequestSpan,
        inSpan,
        recordSpan,
        outgoingContext,
        activeTraceId,
      } = ARMS[arm as keyof typeof ARMS]);
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ arm, tracingOn: shipped.tracingOn() }));
  });
  control.listen(0, '127.0.0.1', () =>
    console.log(`tracing-switch control http://127.0.0.1:${(control.address() as AddressInfo).port}`),
  );
  control.unref();
}
