// /metrics access: address ranges from GATEWAY_METRICS_ALLOW and the optional bearer token.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../src/env.ts';
import { createMetricsAccess, parseCidrList } from '../src/http/metrics-access.ts';

function request(remoteAddress: string, authorization?: string): IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: authorization ? { authorization } : {},
  } as unknown as IncomingMessage;
}

const required = { DATABASE_URL: 'postgres://x@127.0.0.1/db', PORTCULLIS_ENCRYPTION_KEY: 'k' };

describe('metrics access', () => {
  it('allows loopback by default, including IPv4 clients on a dual-stack socket', () => {
    const env = readEnv(required);
    const allowed = createMetricsAccess(env.GATEWAY_METRICS_ALLOW, env.GATEWAY_METRICS_TOKEN);
    expect(allowed(request('127.0.0.1'))).toBe(true);
    expect(allowed(request('::1'))).toBe(true);
    expect(allowed(request('::ffff:127.0.0.1'))).toBe(true);
    expect(allowed(request('10.1.2.3'))).toBe(false);
    expect(allowed(request('::ffff:10.1.2.3'))).toBe(false);
    expect(allowed(request('2001:db8::1'))).toBe(false);
  });

  it('allows configured ranges and the token holder, nobody else', () => {
    const allowed = createMetricsAccess(['10.0.0.0/8', 'fd00::/8', '192.0.2.7'], 'secret-token');
    expect(allowed(request('10.200.0.1'))).toBe(true);
    expect(allowed(request('fd12::5'))).toBe(true);
    expect(allowed(request('192.0.2.7'))).toBe(true);
    expect(allowed(request('192.0.2.8'))).toBe(false);
    expect(allowed(request('127.0.0.1'))).toBe(false);
    expect(allowed(request('203.0.113.9', 'Bearer secret-token'))).toBe(true);
    expect(allowed(request('203.0.113.9', 'Bearer secret-tokem'))).toBe(false);
    expect(allowed(request('203.0.113.9', 'Basic secret-token'))).toBe(false);
  });

  it('refuses a malformed range with a sentence naming it', () => {
    expect(() => parseCidrList(['10.0.0/8'])).toThrow(/"10\.0\.0\/8" is not an address range/);
    expect(() => parseCidrList(['10.0.0.0/33'])).toThrow(/is not an address range/);
    expect(() => parseCidrList(['::1/129'])).toThrow(/is not an address range/);
    expect(() => readEnv({ ...required, GATEWAY_METRICS_ALLOW: '127.0.0.1/8,prometheus' })).toThrow(
      /GATEWAY_METRICS_ALLOW.*"prometheus" is not an address range/s,
    );
  });
});
