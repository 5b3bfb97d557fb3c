import { describe, expect, it } from 'vitest';
import { assertPublicUrl, isPrivateAddress } from '../src/address-guard.ts';
import { createUpstreamTransport, privateAllowedFor } from '../src/connect-upstream.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::10.0.0.1',
    'not-an-ip',
    // NAT64 in hex, local-use NAT64, IPv4-compatible, 6to4 and Teredo forms of private IPv4 addresses
    '64:ff9b::7f00:1',
    '64:ff9b::a00:1',
    '64:FF9B::A9FE:A9FE',
    '64:ff9b:1::808:808',
    '::7f00:1',
    '::10.0.0.1',
    '2002:7f00:1::',
    '2002:a9fe:a9fe::1',
    '2001:0:4136:e378:8000:63bf:f5ff:fffe',
    '2001:0:a00:1::1',
    // site-local, documentation, discard, multicast, CGNAT, benchmarking, documentation IPv4
    'fec0::1',
    '2001:db8::1',
    '100::1',
    'ff02::1',
    '100.100.1.1',
    '198.19.0.1',
    '203.0.113.5',
    '255.255.255.255',
    '240.0.0.1',
  ])('refuses %s', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2001:0:808:808:0:0:f7f7:f7f7',
    '2a00:1450:4001:80b::200e',
  ])('allows %s', (address) => expect(isPrivateAddress(address)).toBe(false));
});

describe('assertPublicUrl', () => {
  it('refuses literal and resolved private hosts', async () => {
    await expect(assertPublicUrl(new URL('http://127.0.0.1:8080/mcp'))).rejects.toThrow(
      /private, loopback or link-local/,
    );
    await expect(assertPublicUrl(new URL('http://[::1]/mcp'))).rejects.toThrow(/private/);
    await expect(assertPublicUrl(new URL('http://localhost/mcp'))).rejects.toThrow(/private/);
  });
});

describe('createUpstreamTransport', () => {
  const options = { allowPrivateNetworks: false, timeoutMs: 1000 };
  it('refuses stdio servers when the operator offers no template', () => {
    expect(() =>
      createUpstreamTransport({ transport: 'stdio', command: 'node', args: ['-e', '1'] }, options),
    ).toThrow(/Free-form stdio command lines are disabled/);
  });
  it('rejects bad URLs', () => {
    expect(() =>
      createUpstreamTransport({ transport: 'streamable_http', url: 'file:///etc/passwd' }, options),
    ).toThrow(/http or https/);
    expect(() => createUpstreamTransport({ transport: 'sse', url: null }, options)).toThrow(/needs a URL/);
  });
  it('allows a private address only for an exact listed origin', () => {
    const listed = { allowPrivateNetworks: false, privateOrigins: ['http://127.0.0.1:4100'] };
    expect(privateAllowedFor(new URL('http://127.0.0.1:4100/mcp'), listed)).toBe(true);
    expect(privateAllowedFor(new URL('http://127.0.0.1:4000/metrics'), listed)).toBe(false);
    expect(privateAllowedFor(new URL('https://127.0.0.1:4100/mcp'), listed)).toBe(false);
    expect(privateAllowedFor(new URL('http://localhost:4100/mcp'), listed)).toBe(false);
    expect(privateAllowedFor(new URL('http://127.0.0.1:4000/'), { allowPrivateNetworks: true })).toBe(true);
  });
});
