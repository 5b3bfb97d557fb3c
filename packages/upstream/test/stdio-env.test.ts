import { describe, expect, it } from 'vitest';
import { connectUpstream, isForbiddenStdioEnv } from '../src/connect-upstream.ts';

describe('stdio environment', () => {
  it('refuses variables that would make an allow-listed command run other code', async () => {
    for (const name of ['NODE_OPTIONS', 'LD_PRELOAD', 'PATH', 'BASH_ENV', 'PYTHONSTARTUP']) expect(isForbiddenStdioEnv(name)).toBe(true);
    for (const name of ['TWITTER_COOKIES', 'API_TOKEN', 'GITHUB_TOKEN']) expect(isForbiddenStdioEnv(name)).toBe(false);
    await expect(
      connectUpstream(
        { transport: 'stdio', command: 'node', args: ['-v'], env: { NODE_OPTIONS: '--import=data:text/javascript,1' } },
        { allowPrivateNetworks: false, stdioCommands: ['node'], timeoutMs: 5_000 },
      ),
    ).rejects.toThrow(/NODE_OPTIONS cannot be set/);
  });
});
