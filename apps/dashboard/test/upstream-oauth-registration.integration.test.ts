// Registering a server that asks for OAuth: discovery is re-run on the server, Portcullis
// registers itself by the order (pre-registered, metadata document, dynamic registration)
// and the client secret is stored sealed to organization and server, never in a row or event as text.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  decryptSecret,
  parseEncryptionKey,
  upstreamClientSecretContext,
} from '@portcullis/crypto/secret-box';
import { db, newOwner, resetDatabase } from './helpers.ts';
import { createServer } from '../src/modules/servers/servers.ts';
import { discoverSignIn } from '../src/modules/upstream-oauth/discovery.ts';
import {
  configureServerSignIn,
  registerUpstreamClient,
} from '../src/modules/upstream-oauth/sign-in-config.ts';
import {
  upstreamCallbackUrl,
  upstreamClientId,
  upstreamClientMetadataDocument,
} from '../src/modules/upstream-oauth/client-document.ts';
import { env } from '../src/env.ts';

beforeEach(resetDatabase);

describe('registering an OAuth-protected upstream', () => {
  let server: http.Server;
  let base: string;
  let metadataDocuments = false;
  const registrations: unknown[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const send = (status: number, json: unknown, headers: Record<string, string> = {}) =>
          void res
            .writeHead(status, { 'content-type': 'application/json', ...headers })
            .end(JSON.stringify(json));
        const path = new URL(req.url ?? '/', base).pathname;
        if (req.method === 'POST' && path === '/mcp')
          return send(
            401,
            {},
            {
              'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
            },
          );
        if (path === '/.well-known/oauth-protected-resource/mcp')
          return send(200, {
            resource: `${base}/mcp`,
            authorization_servers: [base],
            scopes_supported: ['read'],
          });
        if (path === '/.well-known/oauth-authorization-server')
          return send(200, {
            issuer: base,
            authorization_endpoint: `${base}/authorize`,
            token_endpoint: `${base}/token`,
            registration_endpoint: `${base}/register`,
            response_types_supported: ['code'],
            code_challenge_methods_supported: ['S256'],
            client_id_metadata_document_supported: metadataDocuments,
          });
        if (req.method === 'POST' && path === '/register') {
          registrations.push(JSON.parse(body));
          return send(201, {
            ...JSON.parse(body),
            client_id: 'dcr-client-1',
            client_secret: 'dcr-secret-xyz',
          });
        }
        send(404, {});
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('registers dynamically when that is all the server offers, sealing the secret', async () => {
    metadataDocuments = false;
    registrations.length = 0;
    const { ctx } = await newOwner();
    const discovery = await discoverSignIn(`${base}/mcp`);
    expect(discovery).toMatchObject({ issuer: base, scopes: ['read'] });
    const client = await registerUpstreamClient(discovery!, { connectionMode: 'per_user' });
    expect(registrations).toHaveLength(1);
    expect(registrations[0]).toMatchObject({ redirect_uris: [upstreamCallbackUrl()] });
    const created = await createServer(db, ctx, {
      name: 'Linear',
      transport: 'streamable_http',
      url: `${base}/mcp`,
    });
    await configureServerSignIn(db, ctx, created.id, discovery!, client, 'per_user');

    const row = await db.upstreamOAuthConfig.findUniqueOrThrow({ where: { serverId: created.id } });
    expect(row).toMatchObject({
      registration: 'dynamic',
      clientId: 'dcr-client-1',
      connectionMode: 'per_user',
    });
    expect(JSON.stringify(row)).not.toContain('dcr-secret-xyz');
    const key = parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
    expect(
      decryptSecret(key, row.clientSecretEnc!, upstreamClientSecretContext(ctx.organizationId, created.id)),
    ).toBe('dcr-secret-xyz');
    // Sealed to this organization and server: the same ciphertext does not open elsewhere.
    expect(() =>
      decryptSecret(key, row.clientSecretEnc!, upstreamClientSecretContext('other-org', created.id)),
    ).toThrow();
    const events = await db.adminEvent.findMany({ where: { action: 'server.oauth_configure' } });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('dcr-secret-xyz');
  });

  it('prefers a pre-registered client, then the metadata document, over registration', async () => {
    metadataDocuments = true;
    registrations.length = 0;
    const discovery = (await discoverSignIn(`${base}/mcp`))!;
    expect(
      await registerUpstreamClient(discovery, {
        connectionMode: 'shared',
        clientId: 'mine',
        clientSecret: 's',
      }),
    ).toMatchObject({
      registration: 'pre_registered',
      clientId: 'mine',
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    expect(await registerUpstreamClient(discovery, { connectionMode: 'shared' })).toMatchObject({
      registration: 'metadata_document',
      clientId: upstreamClientId(),
      clientSecret: null,
    });
    expect(registrations).toHaveLength(0);
  });

  it('names a discovery problem on the url field and writes nothing', async () => {
    await expect(discoverSignIn(`${base}/nowhere`)).resolves.toBeNull();
    await expect(discoverSignIn('not a url')).rejects.toThrow(/full URL/);
    expect(await db.upstreamOAuthConfig.count()).toBe(0);
  });

  it('serves a client metadata document whose client_id is its own URL', () => {
    const document = upstreamClientMetadataDocument();
    expect(document.client_id).toBe(upstreamClientId());
    expect(document.redirect_uris).toEqual([upstreamCallbackUrl()]);
    expect(document.token_endpoint_auth_method).toBe('none');
  });
});
