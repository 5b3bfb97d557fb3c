// Reading and writing JSON-RPC at the HTTP edge, before any session exists.
import type { InitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export function findInitialize(body: unknown): InitializeRequest | undefined {
  const messages = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    if (message && typeof message === 'object' && (message as { method?: unknown }).method === 'initialize') {
      // No session (and no upstream) for an initialize the transport would refuse anyway.
      const id = (message as { id?: unknown }).id;
      if (typeof id !== 'string' && !Number.isSafeInteger(id)) continue;
      const params = (message as { params?: { capabilities?: unknown } }).params;
      if (params && typeof params === 'object' && params.capabilities && typeof params.capabilities === 'object') return message as InitializeRequest;
    }
  }
  return undefined;
}

export function jsonRpcError(id: string | number | null, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
}
