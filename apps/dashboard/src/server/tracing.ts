// OpenTelemetry for the dashboard: off unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and OTEL_SDK_DISABLED is not true). With a tracer
// provider registered, Next.js's own instrumentation emits a span per request (pages, route
// handlers of /api/v1, server actions' POSTs) with its route, and the renders and fetches under it;
// the REST API and the server actions add their named spans (server/spans.ts).
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { env } from '../env';

let provider: NodeTracerProvider | undefined;

export function startDashboardTracing(): boolean {
  const e = env();
  if ((e.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  if (!e.OTEL_EXPORTER_OTLP_ENDPOINT && !e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return false;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': e.OTEL_SERVICE_NAME || 'portcullis-dashboard' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return true;
}

/** Sends what is buffered (tests). */
export async function flushDashboardTracing(): Promise<void> {
  await provider?.forceFlush();
}

/** Shuts the provider down and unregisters the global tracer, context manager and propagator (tests). */
export async function stopDashboardTracing(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
}
