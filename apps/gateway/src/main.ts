// Starts the gateway from the environment; SIGINT/SIGTERM stop it gracefully (stop accepting,
// drain in-flight calls, flush audit, close upstreams).
import { configFromEnv } from './config.ts';
import { readEnv } from './env.ts';
import { createGateway } from './gateway.ts';
import { startTracing, stopTracing } from './ops/tracing.ts';

// OpenTelemetry first (off unless OTEL_EXPORTER_OTLP_ENDPOINT or …_TRACES_ENDPOINT is set).
const env = readEnv();
const tracing = startTracing(env);
const gateway = createGateway(configFromEnv(env));
if (tracing) gateway.services.log.info('OpenTelemetry traces are exported over OTLP/HTTP');
await gateway.listen();

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  gateway.services.log.info({ signal }, 'shutting down');
  gateway.close().then(
    () => stopTracing().finally(() => process.exit(0)),
    (error: unknown) => {
      gateway.services.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
