import { describe, expect, it } from 'vitest';
import { createUpstreamTransport } from '../src/connect-upstream.ts';
import { stdioCommandAllowed, stdioRefusal } from '../src/stdio-commands.ts';

describe('stdio command lines', () => {
  const twikitOnly = ['node /srv/mcp/twikit.js', 'uvx twikit-mcp *'];

  it('a bare command allows that command with any arguments', () => {
    expect(stdioCommandAllowed(['node'], 'node', ['/anything.js', '--flag'])).toBe(true);
    expect(stdioCommandAllowed(['node'], 'nodejs', [])).toBe(false);
    expect(stdioCommandAllowed(['node'], '/usr/bin/node', [])).toBe(false);
  });

  it('an entry with arguments allows only command lines starting with them', () => {
    expect(stdioCommandAllowed(twikitOnly, 'node', ['/srv/mcp/twikit.js'])).toBe(true);
    expect(stdioCommandAllowed(twikitOnly, 'node', ['/srv/mcp/twikit.js', '--stdio'])).toBe(true);
    expect(stdioCommandAllowed(twikitOnly, 'node', ['/tmp/evil.js'])).toBe(false);
    expect(stdioCommandAllowed(twikitOnly, 'node', ['-e', 'require("child_process")'])).toBe(false);
    expect(stdioCommandAllowed(twikitOnly, 'node', [])).toBe(false);
    expect(stdioCommandAllowed(twikitOnly, 'node', ['/srv/mcp/twikit.js.evil'])).toBe(false);
    expect(stdioCommandAllowed(twikitOnly, 'uvx', ['twikit-mcp', '--port', '1'])).toBe(true);
    expect(stdioCommandAllowed(twikitOnly, 'uvx', ['other'])).toBe(false);
  });

  it('* allows anything, and an empty list nothing', () => {
    expect(stdioCommandAllowed(['*'], 'bash', ['-c', 'id'])).toBe(true);
    expect(stdioCommandAllowed([], 'node', [])).toBe(false);
    expect(stdioCommandAllowed(['  ', ''], 'node', [])).toBe(false);
  });

  it('refuses with a sentence naming the command line and the setting', () => {
    expect(stdioRefusal(twikitOnly, 'node', ['/tmp/evil.js'], 'STDIO_COMMANDS')).toBe(
      'Command line "node /tmp/evil.js" is not allowed by STDIO_COMMANDS (node /srv/mcp/twikit.js, uvx twikit-mcp *)',
    );
    expect(stdioRefusal([], 'node', [], 'GATEWAY_STDIO_COMMANDS')).toMatch(/disabled here; set GATEWAY_STDIO_COMMANDS/);
    const options = { allowPrivateNetworks: false, stdioCommands: twikitOnly, timeoutMs: 1000 };
    expect(() => createUpstreamTransport({ transport: 'stdio', command: 'node', args: ['/tmp/evil.js'] }, options)).toThrow(/"node \/tmp\/evil\.js" is not allowed/);
    expect(createUpstreamTransport({ transport: 'stdio', command: 'node', args: ['/srv/mcp/twikit.js'] }, options)).toBeDefined();
  });
});
