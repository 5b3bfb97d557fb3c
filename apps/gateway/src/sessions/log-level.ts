// MCP logging levels in order, and the one comparison both session kinds filter log messages by.
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';

export const LOG_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Whether a message's level is at or above the wanted one (an unknown level is passed on). */
export function atLeast(level: unknown, wanted: LoggingLevel): boolean {
  const index = LOG_LEVELS.indexOf(level as LoggingLevel);
  return index < 0 || index >= LOG_LEVELS.indexOf(wanted);
}
