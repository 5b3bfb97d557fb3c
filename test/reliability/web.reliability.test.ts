// Issue #8, "web": the dashboard as an attacker's browser meets it. Cross-site requests that carry
// the session cookie (server actions and REST) are refused; the session cookie's flags, over plain
// HTTP and behind HTTPS (a second `next start` with an https AUTH_URL); the sign-in brute-force
// limits; the security headers of pages and API answers; and no open redirect after sign-in.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../apps/gateway/test/harness.ts';
import {
  callAction,
  dashboardUrl,
  form,
  mergeCookies,
  request,
  serverActions,
  signIn,
} from './support/dashboard.ts';
import { freePort, until } from './support/processes.ts';
import { logsDir, root, writeResult } from './support/results.ts';
import { newTenant, type Tenant } from './support/tenants.ts';

let W: Tenant;
let serverId: string;
const figures: Record<string, unknown> = {};
let https: ChildProcess | undefined;

beforeAll(async () => {
  W = await newTenant('w');
  // A server of W's to create grants for (a row is enough: no upstream is contacted).
  const row = await testDb().mcpServer.create({
    data: {
      organizationId: W.ctx.organizationId,
      name: 'web probe server',
      transport: 'stdio',
      command: 'node',
      args: ['x.mjs'],
    },
  });
  serverId = row.id;
}, 120_000);

afterAll(async () => {
  if (https && https.exitCode === null) {
    const exited = new Promise((r) => https!.once('exit', r));
    https.kill('SIGTERM');
    await exited;
  }
  writeResult('web', figures);
});

const grants = () => testDb().grant.count({ where: { organizationId: W.ctx.organizationId } });

describe('web', () => {
  it('refuses cross-site state changes that carry the session cookie', async () => {
    const createGrant = serverActions().get('createGrantAction')!.id;
    const page = `/o/${W.orgSlug}/grants`;
    const args = () => [null, form({ orgSlug: W.orgSlug, name: `csrf ${Math.random()}`, serverId })];
    const rows: Array<{ request: string; status: number; changed: boolean }> = [];
    const attempt = async (label: string, run: () => Promise<{ status: number }>) => {
      const before = await grants();
      const { status } = await run();
      rows.push({ request: label, status, changed: (await grants()) !== before });
    };
    await attempt('server action, Origin http://evil.example', () =>
      callAction(createGrant, args(), { cookie: W.cookie, page, origin: 'http://evil.example' }),
    );
    await attempt('server action, Origin null', () =>
      callAction(createGrant, args(), { cookie: W.cookie, page, origin: 'null' }),
    );
    await attempt('server action, Origin of a sibling port', () =>
      callAction(createGrant, args(), {
        cookie: W.cookie,
        page,
        origin: dashboardUrl().replace(/:\d+$/, ':1'),
      }),
    );
    const rest = (origin: string | undefined) => () =>
      request('/api/v1/grants', {
        method: 'POST',
        cookie: W.cookie,
        headers: {
          'content-type': 'application/json',
          'x-portcullis-org': W.orgSlug,
          ...(origin ? { origin } : {}),
        },
        body: JSON.stringify({ name: `csrf ${Math.random()}`, serverId }),
      });
    await attempt('REST POST with cookie, Origin http://evil.example', rest('http://evil.example'));
    await attempt('REST POST with cookie, no Origin', rest(undefined));
    // A form post to Auth.js without its CSRF token signs nobody in.
    const noCsrf = await request('/api/auth/callback/credentials', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams({ email: W.email, password: W.password, callbackUrl: '/' }).toString(),
    });
    rows.push({
      request: 'sign-in form without the CSRF token',
      status: noCsrf.status,
      changed: noCsrf.setCookies.some((c) => /session-token=[^;]/.test(c)),
    });
    const refused = rows.filter((r) => !r.changed);
    // Controls: the same requests from the dashboard's own origin work.
    const before = await grants();
    await callAction(createGrant, args(), { cookie: W.cookie, page });
    const ownAction = (await grants()) === before + 1;
    const ownRest = (await rest(dashboardUrl())()).status;
    figures.csrf = {
      attempts: rows,
      refused: refused.length,
      controls: { sameOriginAction: ownAction, sameOriginRestStatus: ownRest },
    };
    expect(rows.filter((r) => r.changed)).toEqual([]);
    expect(rows.every((r) => r.status >= 300)).toBe(true);
    expect(ownAction).toBe(true);
    expect(ownRest).toBe(201);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, and Secure with a __Secure- name behind HTTPS', async () => {
    const plain = await signIn(W.email, W.password);
    const port = await freePort();
    const log = createWriteStream(path.join(logsDir(), 'dashboard-https.log'), { flags: 'a' });
    https = spawn(
      process.execPath,
      [path.join(root, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port)],
      {
        cwd: path.join(root, 'apps/dashboard'),
        env: {
          ...process.env,
          NODE_ENV: 'production',
          AUTH_URL: `https://localhost:${port}`,
          AUTH_TRUST_HOST: 'true',
          NEXT_TELEMETRY_DISABLED: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    https.stdout!.pipe(log);
    https.stderr!.pipe(log);
    const base = `http://localhost:${port}`;
    await until(
      async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.ok,
      60_000,
      'the HTTPS-configured dashboard',
    );
    const csrf = await fetch(`${base}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const secure = await fetch(`${base}/api/auth/callback/credentials`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: mergeCookies('', csrf.headers.getSetCookie()),
      },
      body: new URLSearchParams({
        csrfToken,
        email: W.email,
        password: W.password,
        callbackUrl: '/',
      }).toString(),
    });
    const secureCookie = secure.headers.getSetCookie().find((c) => /session-token=[^;]/.test(c));
    const attributes = (c: string | undefined) =>
      (c ?? '').split(';').map((p) => p.trim().split('=')[0]!.toLowerCase());
    const lax = (c: string | undefined) => /;\s*samesite=lax/i.test(c ?? '');
    figures.cookies = {
      http: {
        name: plain.sessionSetCookie?.split('=')[0],
        attributes: attributes(plain.sessionSetCookie).slice(1),
        sameSiteLax: lax(plain.sessionSetCookie),
      },
      https: {
        name: secureCookie?.split('=')[0],
        attributes: attributes(secureCookie).slice(1),
        sameSiteLax: lax(secureCookie),
      },
      csrfCookieHttps: csrf.headers.getSetCookie().map((c) => c.split('=')[0]),
    };
    expect(attributes(plain.sessionSetCookie)).toContain('httponly');
    expect(lax(plain.sessionSetCookie)).toBe(true);
    expect(secureCookie?.startsWith('__Secure-authjs.session-token=')).toBe(true);
    expect(attributes(secureCookie)).toEqual(expect.arrayContaining(['httponly', 'secure']));
    expect(lax(secureCookie)).toBe(true);
  }, 120_000);

  it('limits sign-in attempts per email and per client address', async () => {
    const xff = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
    // Per email: five wrong passwords from five addresses, then even the right one is refused.
    const perEmail: string[] = [];
    for (let i = 0; i < 5; i += 1)
      perEmail.push((await signIn(W.email, `wrong ${i}`, xff(i))).location ?? '');
    const locked = await signIn(W.email, W.password, xff(99));
    // Per address: twenty failures on twenty unknown emails from one address, then a real user from it.
    const V = await newTenant('v');
    const address = { 'x-forwarded-for': '203.0.113.77' };
    for (let i = 0; i < 20; i += 1)
      await signIn(`nobody${i}-${V.marker}@example.test`, 'whatever password', address);
    const fromBusyAddress = await signIn(V.email, V.password, address);
    const fromOtherAddress = await signIn(V.email, V.password, { 'x-forwarded-for': '203.0.113.78' });
    // Behind a proxy that appends the client's address, what the client wrote to the left does not count.
    const spoofed = await signIn(V.email, V.password, { 'x-forwarded-for': '192.0.2.1, 203.0.113.77' });
    const attempts = await testDb().loginAttempt.count({ where: { email: W.email } });
    figures.bruteForce = {
      perEmail: {
        failures: perEmail.length,
        thenRightPassword: locked.cookie
          ? 'signed in'
          : `refused (${new URL(locked.location ?? 'x:/').searchParams.get('code') ?? locked.location})`,
      },
      perAddress: {
        failures: 20,
        thenRealUserSameAddress: fromBusyAddress.cookie
          ? 'signed in'
          : `refused (${new URL(fromBusyAddress.location ?? 'x:/').searchParams.get('code')})`,
        realUserOtherAddress: fromOtherAddress.cookie ? 'signed in' : 'refused',
        proxiedWithSpoofedLeftEntry: spoofed.cookie ? 'signed in' : 'refused',
      },
      attemptsRecordedForEmail: attempts,
    };
    expect(locked.cookie).toBeUndefined();
    expect(locked.location).toMatch(/code=rate_limited/);
    expect(fromBusyAddress.cookie).toBeUndefined();
    expect(fromOtherAddress.cookie).toBeDefined();
    expect(spoofed.cookie).toBeUndefined();
  }, 120_000);

  it('sends security headers on pages and API answers, and redirects only to itself after sign-in', async () => {
    const targets = [
      '/',
      '/signin',
      '/signup',
      `/o/${W.orgSlug}/servers`,
      '/o/nope/servers',
      '/api/health',
      '/api/v1/openapi.json',
      '/api/v1/servers',
    ];
    const table: Record<string, Record<string, string | null>> = {};
    const missing: string[] = [];
    for (const target of targets) {
      const answer = await request(target, { cookie: target.startsWith('/o/') ? W.cookie : undefined });
      const h = (name: string) => answer.headers.get(name);
      table[`${target} (${answer.status})`] = {
        csp: h('content-security-policy'),
        xFrameOptions: h('x-frame-options'),
        nosniff: h('x-content-type-options'),
        referrerPolicy: h('referrer-policy'),
        permissionsPolicy: h('permissions-policy') ? 'set' : null,
        xPoweredBy: h('x-powered-by'),
      };
      if (!/frame-ancestors 'none'/.test(h('content-security-policy') ?? ''))
        missing.push(`${target}: CSP frame-ancestors`);
      if (!/default-src 'self'/.test(h('content-security-policy') ?? ''))
        missing.push(`${target}: CSP default-src`);
      if (h('x-frame-options') !== 'DENY') missing.push(`${target}: X-Frame-Options`);
      if (h('x-content-type-options') !== 'nosniff') missing.push(`${target}: nosniff`);
      if (!h('referrer-policy')) missing.push(`${target}: Referrer-Policy`);
      if (h('x-powered-by')) missing.push(`${target}: X-Powered-By present`);
    }
    const gateway = await fetch(`${process.env.RELIABILITY_GATEWAY_URL}/mcp/x`, { method: 'POST' });
    figures.gatewayHeaders = {
      status: gateway.status,
      contentType: gateway.headers.get('content-type'),
      nosniff: gateway.headers.get('x-content-type-options'),
      xPoweredBy: gateway.headers.get('x-powered-by'),
    };
    // A successful sign-in asked to continue to another site stays on the dashboard's origin.
    const R = await newTenant('r');
    const csrf = await request('/api/auth/csrf');
    const { csrfToken } = JSON.parse(csrf.text) as { csrfToken: string };
    const redirect = await request('/api/auth/callback/credentials', {
      method: 'POST',
      cookie: mergeCookies('', csrf.setCookies),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.200' },
      body: new URLSearchParams({
        csrfToken,
        email: R.email,
        password: R.password,
        callbackUrl: 'https://evil.example/steal',
      }).toString(),
    });
    expect(redirect.setCookies.some((c) => /session-token=[^;]/.test(c))).toBe(true);
    const location = redirect.headers.get('location') ?? '';
    figures.headers = { targets: table, missing };
    figures.openRedirect = {
      callbackUrl: 'https://evil.example/steal',
      location: location.replace(dashboardUrl(), '<dashboard>'),
    };
    expect(missing).toEqual([]);
    expect(location.startsWith(dashboardUrl())).toBe(true);
    expect(location).not.toMatch(/^https?:\/\/evil\.example/);
  });
});
