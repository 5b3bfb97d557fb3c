// Discovery of an upstream's OAuth at registration, against a real HTTP server playing a protected
// MCP server and its authorization server, honest and hostile (wrong issuer, someone else's
// resource, http endpoints, private addresses, redirects, oversized and slow answers).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chooseRegistrationMethod, discoverUpstreamOAuth } from '../src/oauth-discovery.ts';
import { createOAuthFetch } from '../src/oauth-fetch.ts';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('upstream OAuth discovery', () => {
  let server: http.Server;
  let base: string;
  let routes: Map<string, Route>;
  const hits: string[] = [];

  const json =
    (body: unknown, status = 200): Route =>
    (_req, res) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  function honest(): Map<string, Route> {
    return new Map<string, Route>([
      [
        'POST /mcp',
        (_req, res) =>
          void res
            .writeHead(401, {
              'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="repo read:user"`,
            })
            .end(),
      ],
      [
        'GET /.well-known/oauth-protected-resource/mcp',
        json({ resource: `${base}/mcp`, authorization_servers: [`${base}/as`], scopes_supported: ['repo'] }),
      ],
      [
        'GET /.well-known/oauth-authorization-server/as',
        json({
          issuer: `${base}/as`,
          authorization_endpoint: `${base}/as/authorize`,
          token_endpoint: `${base}/as/token`,
          registration_endpoint: `${base}/as/register`,
          revocation_endpoint: `${base}/as/revoke`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          client_id_metadata_document_supported: true,
        }),
      ],
    ]);
  }

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      const key = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      hits.push(key);
      const route = routes.get(key);
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    routes = honest();
    hits.length = 0;
  });
  const allowed = () => ({ allowPrivateNetworks: false, privateOrigins: [base] });

  it('follows the 401 to the resource and authorization server metadata', async () => {
    const found = await discoverUpstreamOAuth(`${base}/mcp`, allowed());
    expect(found).toEqual({
      resource: `${base}/mcp`,
      issuer: `${base}/as`,
      authorizationEndpoint: `${base}/as/authorize`,
      tokenEndpoint: `${base}/as/token`,
      registrationEndpoint: `${base}/as/register`,
      revocationEndpoint: `${base}/as/revoke`,
      scopes: ['repo', 'read:user'],
      clientIdMetadataDocumentSupported: true,
      tokenEndpointAuthMethods: ['client_secret_basic'],
    });
    expect(chooseRegistrationMethod(found!, true)).toBe('pre_registered');
    expect(chooseRegistrationMethod(found!, false)).toBe('metadata_document');
    expect(chooseRegistrationMethod({ ...found!, clientIdMetadataDocumentSupported: false }, false)).toBe(
      'dynamic',
    );
    expect(
      chooseRegistrationMethod(
        { clientIdMetadataDocumentSupported: false, registrationEndpoint: null },
        false,
      ),
    ).toBeNull();
  });

  it('answers null for a server that does not ask for sign-in', async () => {
    routes.set('POST /mcp', json({ jsonrpc: '2.0', id: 0, result: {} }));
    expect(await discoverUpstreamOAuth(`${base}/mcp`, allowed())).toBeNull();
  });

  it('falls back to the well-known URI when the 401 names no metadata, and to OpenID discovery', async () => {
    routes.set('POST /mcp', (_req, res) => void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end());
    routes.delete('GET /.well-known/oauth-authorization-server/as');
    routes.set(
      'GET /.well-known/openid-configuration/as',
      json({
        issuer: `${base}/as`,
        authorization_endpoint: `${base}/as/authorize`,
        token_endpoint: `${base}/as/token`,
        jwks_uri: `${base}/as/jwks`,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      }),
    );
    const found = await discoverUpstreamOAuth(`${base}/mcp`, allowed());
    expect(found?.issuer).toBe(`${base}/as`);
    expect(found?.scopes).toEqual(['repo']);
    expect(hits).toContain('GET /.well-known/oauth-protected-resource/mcp');
  });

  it('refuses metadata whose issuer is not the authorization server it was fetched for', async () => {
    routes.set(
      'GET /.well-known/oauth-authorization-server/as',
      json({
        issuer: 'https://evil.example',
        authorization_endpoint: `${base}/as/authorize`,
        token_endpoint: `${base}/as/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      }),
    );
    await expect(discoverUpstreamOAuth(`${base}/mcp`, allowed())).rejects.toThrow(/names issuer/);
  });

  it("refuses resource metadata for someone else's resource", async () => {
    routes.set(
      'GET /.well-known/oauth-protected-resource/mcp',
      json({ resource: 'https://other.example/mcp', authorization_servers: [`${base}/as`] }),
    );
    await expect(discoverUpstreamOAuth(`${base}/mcp`, allowed())).rejects.toThrow(/not for this server/);
  });

  it('refuses http endpoints on origins the operator did not allow, and no-PKCE servers', async () => {
    routes.set(
      'GET /.well-known/oauth-authorization-server/as',
      json({
        issuer: `${base}/as`,
        authorization_endpoint: 'http://login.example/authorize',
        token_endpoint: `${base}/as/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      }),
    );
    await expect(discoverUpstreamOAuth(`${base}/mcp`, allowed())).rejects.toThrow(
      /authorization endpoint http:\/\/login.example must use https/,
    );
    routes.set(
      'GET /.well-known/oauth-authorization-server/as',
      json({
        issuer: `${base}/as`,
        authorization_endpoint: `${base}/as/authorize`,
        token_endpoint: `${base}/as/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['plain'],
      }),
    );
    await expect(discoverUpstreamOAuth(`${base}/mcp`, allowed())).rejects.toThrow(/S256/);
  });

  it('never fetches a private address the operator did not allow', async () => {
    // The probe of the server's own URL may be plain http (a tenant's upstream can be), so an unlisted
    // loopback origin is refused by the address guard, before connecting; metadata URLs stay https-only.
    await expect(
      discoverUpstreamOAuth(`${base}/mcp`, { allowPrivateNetworks: false, privateOrigins: [] }),
    ).rejects.toThrow(/private address/);
    expect(hits).toEqual([]);
    const fetchFn = createOAuthFetch({ allowPrivateNetworks: false });
    await expect(fetchFn(`${base}/mcp`)).rejects.toThrow(/must use https/);
    await expect(fetchFn('https://127.0.0.1:1/x')).rejects.toThrow(/private address/);
    await expect(fetchFn('https://localhost:1/x')).rejects.toThrow(/private address/);
  });

  it('does not follow redirects, and bounds answers in size and time', async () => {
    routes.set(
      'GET /.well-known/oauth-protected-resource/mcp',
      (_req, res) => void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end(),
    );
    await expect(discoverUpstreamOAuth(`${base}/mcp`, allowed())).rejects.toThrow(/HTTP 302/);
    expect(hits).not.toContain('GET /latest/meta-data');

    routes.set('GET /huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"pad":"${'x'.repeat(200 * 1024)}"}`);
    });
    const fetchFn = createOAuthFetch({ ...allowed(), timeoutMs: 300 });
    await expect(fetchFn(`${base}/huge`)).rejects.toThrow(/larger than 65536 bytes/);

    routes.set('GET /drip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    await expect(fetchFn(`${base}/drip`)).rejects.toThrow(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses malformed scopes', async () => {
    routes.set(
      'POST /mcp',
      (_req, res) =>
        void res
          .writeHead(401, {
            'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="a\\"b ${'s '.repeat(60)}"`,
          })
          .end(),
    );
    await expect(discoverUpstreamOAuth(`${base}/mcp`, allowed())).rejects.toThrow(/scopes/);
  });
});
