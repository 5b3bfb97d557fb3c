// The JSON-RPC 2.0 envelope of an MCP message, checked by hand. The gateway relays messages without
// parsing their contents (tool results, notifications it does not know, fields a newer spec adds):
// only the envelope must be right, and this runs for every message in both directions, where the
// SDK's zod schema would cost more than the rest of a relayed call.
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

/** A request or notification has a string method and object params; ids are strings or integers; a response has a result object or an error with an integer code and a string message. */
export function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const m = value as {
    jsonrpc?: unknown;
    id?: unknown;
    method?: unknown;
    params?: unknown;
    result?: unknown;
    error?: unknown;
  };
  if (m.jsonrpc !== '2.0') return false;
  const hasId = 'id' in m;
  if (hasId && typeof m.id !== 'string' && !Number.isSafeInteger(m.id)) return false;
  if ('method' in m)
    return (
      typeof m.method === 'string' &&
      (m.params === undefined ||
        (typeof m.params === 'object' && m.params !== null && !Array.isArray(m.params)))
    );
  if (!hasId) return false;
  if ('result' in m) return typeof m.result === 'object' && m.result !== null && !Array.isArray(m.result);
  const error = m.error as { code?: unknown; message?: unknown } | null | undefined;
  return (
    typeof error === 'object' &&
    error !== null &&
    Number.isInteger(error.code) &&
    typeof error.message === 'string'
  );
}

export type JsonRpcRequest = {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
};
export type JsonRpcNotification = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };
export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: RequestId; result: Record<string, unknown> }
  | { jsonrpc: '2.0'; id: RequestId; error: { code: number; message: string; data?: unknown } };

/** Of a checked message: which of the three it is. */
export function kindOf(message: JSONRPCMessage): 'request' | 'notification' | 'response' {
  if ('method' in message) return 'id' in message && message.id !== undefined ? 'request' : 'notification';
  return 'response';
}
