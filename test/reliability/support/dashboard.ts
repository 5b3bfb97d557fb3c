// Talking to the running dashboard as a browser does: Auth.js's credentials sign-in (CSRF token,
// session cookie), pages and their RSC payloads, server actions posted the way React posts them
// (a `Next-Action` header and the arguments encoded as React's encodeReply does), and the REST API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './results.ts';

export function dashboardUrl(): string {
  const url = process.env.RELIABILITY_DASHBOARD_URL;
  if (!url) throw new Error('RELIABILITY_DASHBOARD_URL is not set (test/reliability/stack-setup.ts sets it)');
  return url;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  setCookies: string[];
}

export async function request(
  pathname: string,
  init: RequestInit & { cookie?: string } = {},
): Promise<HttpAnswer> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  const res = await fetch(`${dashboardUrl()}${pathname}`, { ...init, headers, redirect: 'manual' });
  return {
    status: res.status,
    headers: res.headers,
    text: await res.text(),
    setCookies: res.headers.getSetCookie(),
  };
}

/** name=value pairs from Set-Cookie headers, merged into a Cookie header. */
export function mergeCookies(existing: string, setCookies: string[]): string {
  const jar = new Map(
    existing
      .split(/;\s*/)
      .filter(Boolean)
      .map((p) => [p.split('=')[0]!, p] as const),
  );
  for (const c of setCookies) {
    const pair = c.split(';')[0]!;
    jar.set(pair.split('=')[0]!, pair);
  }
  return [...jar.values()].join('; ');
}

export interface SignInResult {
  status: number;
  /** Cookie header with the session, when signed in. */
  cookie: string | undefined;
  location: string | null;
  sessionSetCookie: string | undefined;
}

/** Auth.js credentials sign-in: CSRF token first (double-submit cookie), then the form post. */
export async function signIn(
  email: string,
  password: string,
  extraHeaders: Record<string, string> = {},
): Promise<SignInResult> {
  const csrf = await request('/api/auth/csrf', { headers: extraHeaders });
  const { csrfToken } = JSON.parse(csrf.text) as { csrfToken: string };
  let cookie = mergeCookies('', csrf.setCookies);
  const res = await request('/api/auth/callback/credentials', {
    method: 'POST',
    cookie,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: '/' }).toString(),
  });
  const sessionSetCookie = res.setCookies.find((c) => /session-token=/.test(c) && !/session-token=;/.test(c));
  cookie = mergeCookies(cookie, res.setCookies);
  return {
    status: res.status,
    cookie: sessionSetCookie ? cookie : undefined,
    location: res.headers.get('location'),
    sessionSetCookie,
  };
}

/** Server action ids of the built dashboard, by exported function name. */
export function serverActions(): Map<string, { id: string; file: string }> {
  const manifest = JSON.parse(
    readFileSync(path.join(root, 'apps/dashboard/.next/server/server-reference-manifest.json'), 'utf8'),
  ) as {
    node: Record<string, { exportedName?: string; filename?: string }>;
  };
  const out = new Map<string, { id: string; file: string }>();
  for (const [id, entry] of Object.entries(manifest.node)) {
    if (entry.exportedName) out.set(entry.exportedName, { id, file: entry.filename ?? '' });
  }
  return out;
}

/**
 * Calls a server action as the browser does. `args` are the action's arguments; a FormData among
 * them is encoded as React does ("$K<n>" in the argument list, its fields prefixed "_<n>_").
 */
export async function callAction(
  actionId: string,
  args: unknown[],
  options: { cookie?: string; page: string; origin?: string | null },
): Promise<HttpAnswer> {
  const body = new FormData();
  let next = 1;
  const encoded = args.map((arg) => {
    if (!(arg instanceof FormData)) return arg;
    const ref = next++;
    for (const [key, value] of arg.entries()) body.append(`_${ref}_${key}`, value);
    return `$K${ref.toString(16)}`;
  });
  body.set('0', JSON.stringify(encoded));
  const headers: Record<string, string> = { 'next-action': actionId, accept: 'text/x-component' };
  const origin = options.origin === undefined ? dashboardUrl() : options.origin;
  if (origin !== null) headers.origin = origin;
  return request(options.page, { method: 'POST', cookie: options.cookie, headers, body });
}

export function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}
