// A minimal fetch over node:http(s) for the SDK's HTTP client transports. Two reasons not to use
// the global fetch: the address guard must run in the socket's own DNS lookup (global fetch offers
// no hook for that without the undici package), and redirects must not be followed (a redirect
// could point a public URL at a private address).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { assertPublicUrl, guardedLookup } from './address-guard.ts';

export interface NodeFetchOptions {
  allowPrivateNetworks: boolean;
  /**
   * Largest message a response may carry: a whole body, or one event of an event stream (bytes
   * between blank lines). A response that exceeds it is cut off with an error.
   */
  maxMessageBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class UpstreamMessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(
      `Upstream answer is larger than ${limit} bytes (GATEWAY_MAX_UPSTREAM_MESSAGE_BYTES); it was cut off`,
    );
    this.name = 'UpstreamMessageTooLargeError';
  }
}

const EVENT_SEPARATORS = [Buffer.from('\n\n'), Buffer.from('\r\r'), Buffer.from('\r\n\r\n')];

/** Destroys `res` once more than `limit` bytes arrive without an event boundary (a blank line). */
export function limitMessageSize(res: http.IncomingMessage, limit: number): void {
  let pending = 0;
  res.on('data', (chunk: Buffer) => {
    let boundary = -1;
    for (const separator of EVENT_SEPARATORS) {
      const at = chunk.lastIndexOf(separator);
      if (at >= 0) boundary = Math.max(boundary, at + separator.length);
    }
    pending = boundary >= 0 ? chunk.length - boundary : pending + chunk.length;
    if (pending > limit) res.destroy(new UpstreamMessageTooLargeError(limit));
  });
}

export function createNodeFetch(options: NodeFetchOptions): FetchLike {
  const lookup = options.allowPrivateNetworks ? undefined : guardedLookup;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  return async (input, init = {}) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`Unsupported upstream URL scheme ${url.protocol}`);
    if (!options.allowPrivateNetworks) await assertPublicUrl(url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : await new Response(init.body).text();
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();

    return await new Promise<Response>((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
          ...(lookup ? { lookup } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (Array.isArray(value)) for (const v of value) responseHeaders.append(key, v);
            else if (value !== undefined) responseHeaders.set(key, value);
          }
          const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
          if (nullBody) res.resume();
          else limitMessageSize(res, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
          const stream = nullBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
          resolve(
            new Response(stream, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }),
          );
        },
      );
      const onAbort = () =>
        req.destroy(
          signal?.reason instanceof Error
            ? signal.reason
            : new DOMException('The operation was aborted', 'AbortError'),
        );
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end(body);
    });
  };
}
