// Cookie-file login rules (in-process; the stdio test covers the env var end to end).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookieAuth } from '../src/auth.ts';
import { loadEnv } from '../src/env.ts';
import { inProcess, tempDir } from './helpers.ts';

describe('cookie auth', () => {
  const dir = tempDir();
  const defaultPath = join(dir, 'default', 'cookies.json');

  it('unset + no default file → demo account', () => {
    expect(cookieAuth(undefined, defaultPath)()).toEqual({ ok: true, mode: 'demo' });
  });

  it('set → file must be a JSON object or array', () => {
    const file = join(dir, 'c.json');
    expect(cookieAuth(file, defaultPath)().ok).toBe(false);
    writeFileSync(file, 'auth_token=abc');
    expect(cookieAuth(file, defaultPath)().ok).toBe(false);
    writeFileSync(file, '"just a string"');
    expect(cookieAuth(file, defaultPath)().ok).toBe(false);
    writeFileSync(file, '[{"name":"auth_token","value":"abc"}]');
    expect(cookieAuth(file, defaultPath)()).toEqual({ ok: true, mode: 'cookies' });
  });

  it('unset + malformed default file → not logged in', () => {
    mkdirSync(join(dir, 'default'), { recursive: true });
    writeFileSync(defaultPath, '{oops');
    expect(cookieAuth(undefined, defaultPath)()).toMatchObject({
      ok: false,
      message: expect.stringContaining(defaultPath),
    });
  });

  it('every tool call is refused while logged out, after argument validation', async () => {
    const h = await inProcess({ auth: cookieAuth(join(dir, 'missing.json'), defaultPath) });
    try {
      expect(await h.error('get_user_info', { screen_name: 'alice' })).toMatch(
        /^Not logged in: cookie file .*missing\.json is missing or malformed/,
      );
      expect(await h.error('send_tweet', {})).toBe('Invalid arguments for send_tweet: "text" is required');
      expect(h.account.tweets.size).toBe(10);
    } finally {
      await h.close();
    }
  });

  it('env parsing', () => {
    expect(loadEnv({})).toEqual({ TWIKIT_PORT: 4100, TWIKIT_HOST: '127.0.0.1' });
    expect(loadEnv({ TWIKIT_PORT: '0', TWITTER_COOKIES: '/x' })).toMatchObject({
      TWIKIT_PORT: 0,
      TWITTER_COOKIES: '/x',
    });
    expect(() => loadEnv({ TWIKIT_PORT: 'abc' })).toThrow(/TWIKIT_PORT/);
  });
});
