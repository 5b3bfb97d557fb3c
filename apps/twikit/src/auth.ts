// Login state from the cookie file, checked on every call like the real server (it re-reads the
// file per call). Only the file's shape is checked; its contents are never used.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type AuthStatus = { ok: true; mode: 'cookies' | 'demo' } | { ok: false; message: string };
export type AuthCheck = () => AuthStatus;

export const defaultCookiesPath = (): string => join(homedir(), '.config', 'twitter-mcp', 'cookies.json');

export const alwaysLoggedIn: AuthCheck = () => ({ ok: true, mode: 'demo' });

function cookieFileIsValid(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

/**
 * `cookiesEnv` is TWITTER_COOKIES. Set → that file must hold a JSON object or array.
 * Unset → the default path is used if it exists; if it does not, the demo account is logged in.
 */
export function cookieAuth(
  cookiesEnv: string | undefined,
  defaultPath: string = defaultCookiesPath(),
): AuthCheck {
  return () => {
    const explicit = cookiesEnv !== undefined;
    const path = explicit ? cookiesEnv : defaultPath;
    if (!explicit && !existsSync(path)) return { ok: true, mode: 'demo' };
    if (cookieFileIsValid(path)) return { ok: true, mode: 'cookies' };
    return {
      ok: false,
      message:
        `Not logged in: cookie file ${path} is missing or malformed (expected a JSON object or array). ` +
        'Export your x.com cookies (auth_token, ct0) to that file or point TWITTER_COOKIES at one.',
    };
  };
}
