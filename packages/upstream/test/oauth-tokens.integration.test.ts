// Token answers from an upstream's authorization server are hostile until checked
// (src/oauth-tokens.ts): a real HTTP server answers each case; the refresh either yields a bearer
// token we keep, a "connect again" (grant refused), or our own sentence, never the server's text.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthFetchError } from '../src/oauth-fetch.ts';
import {
  authorizationRequest,
  refreshTokens,
  revokeToken,
  UpstreamGrantRejectedError,
  type UpstreamOAuthClient,
} from '../src/oauth-tokens.ts';

let server: http.Server;
let base: string;
let answer: { status: number; body: unknown; headers?: Record<string, string> };
const bodies: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(`${req.headers.authorization ?? ''}|${body}`);
      res
        .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
        .end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = (): UpstreamOAuthClient => ({
  issuer: base,
  authorizationEndpoint: `${base}/authorize`,
  tokenEndpoint: `${base}/token`,
  revocationEndpoint: `${base}/revoke`,
  resource: `${base}/mcp`,
  scopes: ['notes:read'],
  clientId: 'portcullis',
  clientSecret: 's3cret',
  tokenEndpointAuthMethod: 'client_secret_basic',
});
const open = { allowPrivateNetworks: false, privateOrigins: [] as string[] };
const allowed = () => ({ allowPrivateNetworks: false, privateOrigins: [base] });

describe('upstream token answers', () => {
  it('keeps a bearer token, honours rotation and keeps the old refresh token when none is sent', async () => {
    answer = {
      status: 200,
      body: {
        access_token: 'a2',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'r2',
        scope: 'notes:read',
      },
    };
    const rotated = await refreshTokens(client(), 'r1', allowed());
    expect(rotated).toMatchObject({ accessToken: 'a2', refreshToken: 'r2', scopes: ['notes:read'] });
    expect(rotated.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    expect(bodies.at(-1)).toMatch(/^Basic /);
    expect(bodies.at(-1)).toContain('grant_type=refresh_token');
    expect(bodies.at(-1)).toContain(`resource=${encodeURIComponent(`${base}/mcp`)}`);
    answer = { status: 200, body: { access_token: 'a3', token_type: 'bearer' } };
    expect(await refreshTokens(client(), 'r2', allowed())).toMatchObject({
      accessToken: 'a3',
      refreshToken: 'r2',
      expiresAt: null,
    });
  });

  it('a refused grant means connect again; other failures are our own sentence', async () => {
    answer = {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'token <script>stolen</script>' },
    };
    const rejected = await refreshTokens(client(), 'r', allowed()).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(UpstreamGrantRejectedError);
    expect((rejected as Error).message).not.toContain('script');
    for (const [status, body] of [
      [500, 'internal <b>oops</b>'],
      [200, { token_type: 'bearer' }],
      [200, { access_token: 'x'.repeat(20_000), token_type: 'bearer' }],
      [200, { access_token: 'mac-token', token_type: 'mac' }],
      [302, ''],
    ] as const) {
      answer = { status, body, headers: status === 302 ? { location: 'http://169.254.169.254/' } : {} };
      const error = await refreshTokens(client(), 'r', allowed()).catch((e: unknown) => e);
      expect(error, `${status} ${JSON.stringify(body).slice(0, 40)}`).toBeInstanceOf(OAuthFetchError);
      expect((error as Error).message).not.toMatch(/oops|169\.254/);
    }
  });

  it('refuses endpoints on private addresses unless the operator allows the exact origin', async () => {
    answer = { status: 200, body: { access_token: 'a', token_type: 'bearer' } };
    await expect(refreshTokens(client(), 'r', open)).rejects.toThrow(/must use https|private address/);
    await expect(
      authorizationRequest(client(), { redirectUri: 'https://d.test/cb', state: 's' }, open),
    ).rejects.toThrow(/https/);
    const request = await authorizationRequest(
      client(),
      { redirectUri: 'https://d.test/cb', state: 's' },
      allowed(),
    );
    expect(request.url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(request.url.searchParams.get('resource')).toBe(`${base}/mcp`);
    expect(request.url.searchParams.get('state')).toBe('s');
    expect(request.codeVerifier.length).toBeGreaterThanOrEqual(43);
  });

  it('revokes with the registered client authentication, and says false when there is no endpoint', async () => {
    answer = { status: 200, body: {} };
    expect(await revokeToken(client(), 'r9', 'refresh_token', allowed())).toBe(true);
    expect(bodies.at(-1)).toMatch(/^Basic .*\|token=r9&token_type_hint=refresh_token$/);
    expect(
      await revokeToken({ ...client(), revocationEndpoint: null }, 'r9', 'refresh_token', allowed()),
    ).toBe(false);
    answer = { status: 503, body: {} };
    expect(await revokeToken(client(), 'r9', 'refresh_token', allowed())).toBe(false);
  });
});
