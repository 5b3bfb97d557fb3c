import type { Account } from '../account.ts';

/** Arguments after schema validation and defaults (shapes are guaranteed by the catalog schema). */
export type Args = Record<string, any>;

/** Returns a JSON-serialisable value (sent as JSON text) or throws ToolError. */
export type ToolHandler = (account: Account, args: Args) => unknown;

export type ToolHandlers = Record<string, ToolHandler>;

export const idOf = (value: string | number): string => String(value).trim();
