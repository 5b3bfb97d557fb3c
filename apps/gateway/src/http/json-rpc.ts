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
      if (
        params &&
        typeof params === 'object' &&
        params.capabilities &&
        typeof params.capabilities === 'object'
      )
        return message as InitializeRequest;
    }
  }
  return undefined;
}

export function jsonRpcError(id: string | number | null, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
}

/** Deepest nesting of a request's params: deeper values cannot be hashed, stored or forwarded (JSON.stringify recurses). */
export const MAX_PARAMS_DEPTH = 64;

/**
 * Whether a JSON text nests objects or arrays beyond what a message whose params are at most
 * MAX_PARAMS_DEPTH levels deep needs: one pass over the text, before JSON.parse. Parsing is where
 * deep nesting costs (a 1 MB body of brackets takes 130 ms of the one event loop every tenant
 * shares; this scan about a millisecond), so such a body is refused unparsed. Levels: the message
 * is 1 (2 inside a batch), its params 2 (3), and a value at params depth d is at d + 2 (d + 3).
 */
export function nestedTooDeep(text: string): boolean {
  let i = 0;
  while (
    i < text.length &&
    (text.charCodeAt(i) === 32 ||
      text.charCodeAt(i) === 9 ||
      text.charCodeAt(i) === 10 ||
      text.charCodeAt(i) === 13)
  )
    i++;
  const limit = MAX_PARAMS_DEPTH + (text.charCodeAt(i) === 91 /* [ */ ? 2 : 1);
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) i = endOfString(text, i);
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

/** The index of the quote that closes the string opening at `start` (found with indexOf, not walked). */
function endOfString(text: string, start: number): number {
  for (let end = text.indexOf('"', start + 1); end > 0; end = text.indexOf('"', end + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 92 /* backslash */) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
  return text.length;
}
