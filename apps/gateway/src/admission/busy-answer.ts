// How a stateless (2026-07-28) request's busy answer goes out: HTTP 429 with Retry-After (whole
// seconds, rounded up) around the same JSON-RPC error, so HTTP clients and proxies back off too.
import { BUSY_CODE } from './call-admission.ts';

type Body = { result: unknown } | { error: { code: number; data?: unknown } };

export function busyStatus(body: Body): [number, Record<string, string>] {
  const json = { 'content-type': 'application/json' };
  if (!('error' in body) || body.error.code !== BUSY_CODE) return [200, json];
  const data = body.error.data as { retryAfterMs?: unknown } | undefined;
  const ms = typeof data?.retryAfterMs === 'number' ? data.retryAfterMs : 1_000;
  return [429, { ...json, 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) }];
}
