// JSON logs. Tokens, secrets and argument values are never passed to the logger; the redaction
// list is a second line of defence for fields that might carry them by mistake.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** `destination`: where lines go instead of stdout (tests read them to check nothing secret is logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'gateway' },
    redact: {
      paths: [
        'token',
        'authorization',
        'headers',
        'env',
        'arguments',
        'args',
        '*.token',
        '*.authorization',
        '*.headers',
        '*.env',
        '*.arguments',
        '*.args',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
