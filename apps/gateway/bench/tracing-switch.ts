// `npm run bench -- tracing`'s stand-in for src/ops/tracing.ts inside the gateway it measures
// (tracing-switch-hooks.mjs resolves every import of that module here). Each helper is a live
// binding that is either the shipped function itself, or its bypass: the bare call it wraps
// (`run()`, no check, no span). The bench flips them between rounds through a control endpoint on
// 127.0.0.1 and reads the process's CPU time there, so both arms run in one process (same heap,
// same JIT, same connections) and differ only by the wrappers. Nothing here is loaded outside the bench.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as shipped from '../src/ops/tracing.ts';

export type { TracingEnv } from '../src/ops/tracing.ts';
// Start-up and shutdown: not on the request path, always the shipped ones.
export const tracingRequested = shipped.tracingRequested;
export const startTracing = shipped.startTracing;
export const flushTracing = shipped.flushTracing;
export const stopTracing = shipped.stopTracing;

/** The helpers the request path calls, as shipped. */
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

/** The same helpers bypassed: what the call sites would do without tracing. */
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

/** Bypassed, and counting the calls (the bench's check that the request path goes through here). */
const counts: Record<string, number> = {};
const counting = Object.fromEntries(
  Object.entries(bypassed).map(([name, fn]) => [
    name,
    (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return (fn as (...a: unknown[]) => unknown)(...args);
    },
  ]),
) as Helpers;

export let tracingOn = asShipped.tracingOn;
export let atEdge = asShipped.atEdge;
export let timeAuthentication = asShipped.timeAuthentication;
export let inRequestSpan = asShipped.inRequestSpan;
export let inSpan = asShipped.inSpan;
export let recordSpan = asShipped.recordSpan;
export let outgoingContext = asShipped.outgoingContext;
export let activeTraceId = asShipped.activeTraceId;

const MODES = { shipped: asShipped, bypassed, counting } as const;
type Mode = keyof typeof MODES;
let mode: Mode = 'shipped';

function use(next: Mode): void {
  const h = MODES[next];
  ({ tracingOn, atEdge, timeAuthentication, inRequestSpan, inSpan, recordSpan, outgoingContext, activeTraceId } =
    h);
  mode = next;
  if (next === 'counting') for (const key of Object.keys(counts)) delete counts[key];
}

const control = http.createServer((req, res) => {
  const set = /^\/mode\/(\w+)$/.exec(req.url ?? '');
  if (req.method === 'POST' && set) {
    if (!(set[1]! in MODES)) return void res.writeHead(400).end(`no mode ${set[1]}`);
    use(set[1] as Mode);
  }
  // CPU of the whole process (every thread), µs; read after the mode is set.
  const cpu = process.cpuUsage();
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      mode,
      cpuMicros: cpu.user + cpu.system,
      tracingOn: shipped.tracingOn(),
      counts,
      exports: Object.keys(shipped).sort(),
    }),
  );
});
control.listen(0, '127.0.0.1', () => {
  console.log(`tracing-switch control http://127.0.0.1:${(control.address() as AddressInfo).port}`);
});
control.unref();
