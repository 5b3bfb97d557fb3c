// JSON logs. Tokens, secrets and argument values are never passed to the logger; the redaction
// list is a second line of defence for fields that might carry them by mistake.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
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
  });
}
