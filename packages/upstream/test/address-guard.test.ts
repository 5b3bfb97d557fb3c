import { describe, expect, it } from 'vitest';
import { assertPublicUrl, isPrivateAddress } from '../src/address-guard.ts';
import { createUpstreamTransport } from '../src/connect-upstream.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::10.0.0.1', 'not-an-ip',
  ])('refuses %s', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) =>
    expect(isPrivateAddress(address)).toBe(false),
  );
});

describe('assertPublicUrl', () => {
  it('refuses literal and resolved private hosts', async () => {
    await expect(assertPublicUrl(new URL('http://127.0.0.1:8080/mcp'))).rejects.toThrow(/private, loopback or link-local/);
    await expect(assertPublicUrl(new URL('http://[::1]/mcp'))).rejects.toThrow(/private/);
    await expect(assertPublicUrl(new URL('http://localhost/mcp'))).rejects.toThrow(/private/);
  });
});

describe('createUpstreamTransport', () => {
  const options = { allowPrivateNetworks: false, stdioCommands: ['node'], timeoutMs: 1000 };
  it('allows only listed stdio commands, compared exactly', () => {
    expect(() => createUpstreamTransport({ transport: 'stdio', command: 'bash', args: [] }, options)).toThrow(/not in GATEWAY_STDIO_COMMANDS/);
    expect(() => createUpstreamTransport({ transport: 'stdio', command: '/tmp/node', args: [] }, options)).toThrow(/not in GATEWAY_STDIO_COMMANDS/);
    expect(() => createUpstreamTransport({ transport: 'stdio', command: 'node', args: [] }, { ...options, stdioCommands: [] })).toThrow(/disabled/);
    expect(createUpstreamTransport({ transport: 'stdio', command: 'anything', args: [] }, { ...options, stdioCommands: ['*'] })).toBeDefined();
  });
  it('rejects bad URLs', () => {
    expect(() => createUpstreamTransport({ transport: 'streamable_http', url: 'file:///etc/passwd' }, options)).toThrow(/http or https/);
    expect(() => createUpstreamTransport({ transport: 'sse', url: null }, options)).toThrow(/needs a URL/);
  });
});
