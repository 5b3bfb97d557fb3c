// Starts the gateway from the environment; SIGINT/SIGTERM stop it gracefully (stop accepting,
// drain in-flight calls, flush audit, close upstreams).
import { configFromEnv } from './config.ts';
import { readEnv } from './env.ts';
import { createGateway } from './gateway.ts';

const gateway = createGateway(configFromEnv(readEnv()));
await gateway.listen();

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  gateway.services.log.info({ signal }, 'shutting down');
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      gateway.services.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
