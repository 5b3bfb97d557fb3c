// OpenTelemetry traces of the gateway (the official SDK, OTLP over HTTP): off unless the operator
// sets OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (and not OTEL_SDK_DISABLED);
// the exporter reads the other standard OTEL_* variables itself (headers, timeout, protocol is
// http/json). Off, every helper here returns at once without creating a span, so tracing costs a
// call nothing measurable. Spans carry identifiers and outcomes, never arguments or results.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

import { createContextKey } from '@opentelemetry/api';

let provider: NodeTracerProvider | undefined;

/** What the HTTP edge knows of the request a message came in: when, and its authentication's time. */
interface EdgeTimes {
  receivedAt: number;
  auth?: [number, number];
}
const EDGE = createContextKey('portcullis.edge');
let tracer: Tracer | undefined;

export interface TracingEnv {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_SDK_DISABLED?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}

/** Whether the environment asks for traces (the standard variables). */
export function tracingRequested(env: TracingEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** Starts the SDK once per process (a no-op when not requested); returns whether tracing is on. */
export function startTracing(env: TracingEnv): boolean {
  if (tracer) return true;
  if (!tracingRequested(env)) return false;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'portcullis-gateway' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Registers the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  tracer = trace.getTracer('portcullis-gateway');
  return true;
}

export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** Sends what is buffered (tests; shutdown). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

export async function stopTracing(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
  tracer = undefined;
}

const pick = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined);

function extracted(traceparent: string | undefined, tracestate: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/**
 * Runs an HTTP request's handling with the agent's trace context from its headers and the times the
 * request's MCP spans start from (off: just runs it).
 */
export function atEdge<T>(headers: Record<string, string | string[] | undefined>, run: () => T): T {
  if (!tracer) return run();
  const ctx = extracted(pick(headers.traceparent), pick(headers.tracestate)).setValue(EDGE, {
    receivedAt: performance.now(),
  } satisfies EdgeTimes);
  return context.with(ctx, run);
}

/** Times the request's grant authentication (the tools/call span shows it as a child). */
export async function timeAuthentication<T>(run: () => Promise<T>): Promise<T> {
  const edge = tracer ? (context.active().getValue(EDGE) as EdgeTimes | undefined) : undefined;
  if (!edge) return run();
  const start = performance.now();
  try {
    return await run();
  } finally {
    edge.auth = [start, performance.now()];
  }
}

/** The agent's trace context for one message: `params._meta.traceparent`/`tracestate` (SEP-414) first, else the request's headers. */
function agentContext(meta: Record<string, unknown> | undefined): Context {
  const traceparent = pick(meta?.traceparent);
  if (traceparent) return extracted(traceparent, pick(meta?.tracestate)).setValue(EDGE, edgeTimes());
  return context.active();
}

function edgeTimes(): EdgeTimes | undefined {
  return context.active().getValue(EDGE) as EdgeTimes | undefined;
}

/**
 * The MCP request's span (kind server), active for `run`: from when the HTTP request arrived, with
 * its authentication as the first child. `run` gets undefined when tracing is off.
 */
export function inRequestSpan<T>(
  name: string,
  meta: Record<string, unknown> | undefined,
  attributes: Attributes,
  run: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!tracer) return run(undefined);
  const parent = agentContext(meta);
  const edge = parent.getValue(EDGE) as EdgeTimes | undefined;
  const startTime = edge ? performance.timeOrigin + edge.receivedAt : undefined;
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.SERVER, attributes, ...(startTime ? { startTime } : {}) },
    parent,
    (span) => {
      if (edge?.auth) recordSpan('authentication', edge.auth[0], {}, edge.auth[1]);
      return finish(span, run);
    },
  );
}

/** A child span of the active one around `run` (a phase of the call). */
export function inSpan<T>(
  name: string,
  run: (span: Span | undefined) => Promise<T>,
  attributes?: Attributes,
): Promise<T> {
  if (!tracer) return run(undefined);
  return tracer.startActiveSpan(name, attributes ? { attributes } : {}, (span) => finish(span, run));
}

async function finish<T>(span: Span, run: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await run(span);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}

/** A finished child span for a step that already happened (synchronous work, e.g. the decision). */
export function recordSpan(
  name: string,
  startMs: number,
  attributes: Attributes,
  endMs = performance.now(),
): void {
  if (!tracer) return;
  const span = tracer.startSpan(name, { attributes, startTime: performance.timeOrigin + startMs });
  span.end(performance.timeOrigin + endMs);
}

/** W3C trace context of the active span, for the upstream (HTTP headers and `_meta`); undefined when off. */
export function outgoingContext(): Record<string, string> | undefined {
  if (!tracer) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The active span's trace id (stored on the audit row), or null. */
export function activeTraceId(): string | null {
  if (!tracer) return null;
  const span = trace.getSpan(context.active());
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : null;
}
