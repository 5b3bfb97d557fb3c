// Fetches for upstream OAuth (protected-resource and authorization-server metadata, registration,
// token and revocation endpoints). Every URL here comes from an upstream's metadata, so each request
// goes through the private-address guard (unless its exact origin is allowed), follows no redirect,
// and is bounded in time (headers and body together) and in bytes.
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createNodeFetch } from './node-fetch.ts';

export interface OAuthFetchOptions {
  /** Allow every private address (tests, single-host installs). */
  allowPrivateNetworks: boolean;
  /** Exact origins (scheme://host:port) allowed although they are private. */
  privateOrigins?: readonly string[];
  /** Bound on one request, answer body included. Default 10 s. */
  timeoutMs?: number;
  /** Largest answer body accepted. Default 64 KiB (metadata and token answers are a few KiB). */
  maxBytes?: number;
}

export const OAUTH_FETCH_TIMEOUT_MS = 10_000;
export const OAUTH_FETCH_MAX_BYTES = 64 * 1024;

export class OAuthFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OAuthFetchError';
  }
}

/** Whether a URL from metadata may be used: https, or http only on an origin the operator allows. */
export function oauthUrlAllowed(url: URL, options: OAuthFetchOptions): boolean {
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && privateOriginAllowed(url, options);
}

function privateOriginAllowed(url: URL, options: OAuthFetchOptions): boolean {
  return options.allowPrivateNetworks || (options.privateOrigins ?? []).includes(url.origin);
}

/**
 * A fetch for the MCP SDK's OAuth functions (their `fetchFn`) with the limits above. `plainHttp` is for
 * the one request to the MCP server's own URL (the sign-in probe): an upstream may be served over http
 * (the tenant chose its URL), so only the private-address guard applies there; everything that
 * metadata names, and every token, stays on https.
 */
export function createOAuthFetch(options: OAuthFetchOptions, { plainHttp = false } = {}): FetchLike {
  const timeoutMs = options.timeoutMs ?? OAUTH_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? OAUTH_FETCH_MAX_BYTES;
  const guarded = createNodeFetch({ allowPrivateNetworks: false, maxMessageBytes: maxBytes });
  const open = createNodeFetch({ allowPrivateNetworks: true, maxMessageBytes: maxBytes });
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? new URL(input) : new URL(input.href);
    const httpProbe = plainHttp && url.protocol === 'http:' && !url.username && !url.password;
    if (!httpProbe && !oauthUrlAllowed(url, options))
      throw new OAuthFetchError(`Refused ${url.origin}: OAuth URLs must use https`);
    const fetch = privateOriginAllowed(url, options) ? open : guarded;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      const response = await fetch(url, { ...init, signal });
      const body = await readBounded(response, maxBytes);
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      if (error instanceof OAuthFetchError) throw error;
      if (timeout.aborted) throw new OAuthFetchError(`${url.origin} did not answer within ${timeoutMs} ms`);
      const code = (error as { code?: string }).code;
      if (code === 'EPRIVATE' || (error as Error).name === 'PrivateAddressError')
        throw new OAuthFetchError(
          `${url.host} is on a private address; the operator can allow its exact origin with UPSTREAM_PRIVATE_ORIGINS`,
        );
      if ((error as Error).name === 'UpstreamMessageTooLargeError')
        throw new OAuthFetchError(`An OAuth answer was larger than ${maxBytes} bytes`);
      throw new OAuthFetchError(`${url.origin} could not be reached (${code ?? (error as Error).name})`);
    }
  };
}

async function readBounded(response: Response, maxBytes: number): Promise<ArrayBuffer | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new OAuthFetchError(`An OAuth answer was larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const joined = Buffer.concat(chunks);
  return joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
}
