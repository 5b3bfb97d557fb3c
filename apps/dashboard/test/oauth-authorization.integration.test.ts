// The dashboard as the MCP authorization server (issue #17), through the same functions the
// routes and the consent page call: registration (RFC 7591 and Client ID Metadata Documents),
// authorization code + PKCE S256 bound to a grant and one resource (RFC 8707), token exchange,
// rotating refresh tokens with reuse detection, revocation; and each refusal.
import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hashToken } from '@portcullis/crypto/tokens';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/self-signed-cert.ts';
import { addMember, db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import {
  denialRedirect,
  handleTokenRequest,
  validateAuthorizationRequest,
  type AuthorizationParams,
} from '../src/modules/oauth/authorization-server.ts';
import { approveConsent, loadConsent } from '../src/modules/oauth/consent.ts';
import {
  registerOAuthClient,
  RegistrationError,
  resolveOAuthClient,
} from '../src/modules/oauth/oauth-clients.ts';
import { listAuthorizedClients, revokeAuthorizedClient } from '../src/modules/oauth/authorized-clients.ts';
import { authorizationServerMetadata } from '../src/modules/oauth/oauth-settings.ts';
import { pruneOAuthRows } from '../src/modules/oauth/oauth-prune.ts';
import { createGrant, revokeGrant } from '../src/modules/grants/grants.ts';
import { ForbiddenError, NotFoundError } from '../src/server/errors.ts';

const GATEWAY = 'http://gateway.test:4000';
const REDIRECT = 'http://127.0.0.1:33418/callback';

// A Client ID Metadata Document server on loopback over https, allowed by exact origin (the env is
// read once, on first use, so this is set before any module asks for it).
const tls = selfSignedCert();
let documentRequests = 0;
const documentServer = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
  documentRequests += 1;
  const base = `https://127.0.0.1:${(documentServer.address() as AddressInfo).port}`;
  if (req.url === '/client.json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        client_id: `${base}/client.json`,
        client_name: 'Document Client',
        redirect_uris: [REDIRECT],
      }),
    );
  } else if (req.url === '/huge.json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        client_id: `${base}/huge.json`,
        redirect_uris: [REDIRECT],
        pad: 'x'.repeat(40_000),
      }),
    );
  } else if (req.url === '/other.json') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ client_id: `${base}/client.json`, redirect_uris: [REDIRECT] }));
  } else res.writeHead(404).end();
});
let documentBase = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => documentServer.listen(0, '127.0.0.1', resolve));
  documentBase = `https://127.0.0.1:${(documentServer.address() as AddressInfo).port}`;
  process.env.OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS = documentBase;
});
afterAll(() => new Promise<void>((resolve) => documentServer.close(() => resolve())));
beforeEach(async () => {
  await resetDatabase();
  await db.$executeRawUnsafe('TRUNCATE oauth_clients CASCADE');
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function registered(redirectUris = [REDIRECT]) {
  return (await registerOAuthClient(db, { client_name: 'Test Agent', redirect_uris: redirectUris }))
    .client_id as string;
}

async function setup() {
  const owner = await newOwner();
  const server = await seedServer(owner.ctx.organizationId);
  return { owner, server, resource: `${GATEWAY}/mcp/${server.id}` };
}

function params(
  clientId: string,
  resource: string,
  challenge: string,
  extra: AuthorizationParams = {},
): AuthorizationParams {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    resource,
    ...extra,
  };
}

/** Consent as the page does it; returns the code from the redirect. */
async function authorize(
  userId: string,
  clientId: string,
  resource: string,
  challenge: string,
  choice = 'new',
): Promise<string> {
  const result = await validateAuthorizationRequest(db, params(clientId, resource, challenge));
  if (!result.ok) throw new Error(result.refusal.description);
  const location = new URL(await approveConsent(db, userId, result.request, choice, 'Laptop agent'));
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  expect(location.searchParams.get('state')).toBe('st-1');
  return location.searchParams.get('code')!;
}

function token(body: Record<string, string>) {
  return handleTokenRequest(db, new URLSearchParams(body), {
    'content-type': 'application/x-www-form-urlencoded',
  });
}

function exchange(
  clientId: string,
  code: string,
  verifier: string | undefined,
  resource: string | undefined,
  redirectUri = REDIRECT,
) {
  return token({
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: redirectUri,
    ...(verifier !== undefined ? { code_verifier: verifier } : {}),
    ...(resource !== undefined ? { resource } : {}),
  });
}

describe('OAuth authorization server', () => {
  it('publishes RFC 8414 metadata: code + PKCE S256 only, public clients, metadata documents and registration', () => {
    expect(authorizationServerMetadata()).toMatchObject({
      issuer: 'http://localhost:3000',
      authorization_endpoint: 'http://localhost:3000/oauth/authorize',
      token_endpoint: 'http://localhost:3000/oauth/token',
      registration_endpoint: 'http://localhost:3000/oauth/register',
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      client_id_metadata_document_supported: true,
    });
  });

  it('issues a code bound to a new grant, exchanges it once for hashed tokens, and lists the client on the grant', async () => {
    const { owner, server, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const code = await authorize(owner.userId, clientId, resource, challenge);
    expect(code).toMatch(/^pco_/);
    const answer = await exchange(clientId, code, verifier, resource);
    expect(answer.body).toMatchObject({ token_type: 'Bearer' });
    expect(answer.status).toBe(200);
    const { access_token, refresh_token, token_type, expires_in } = answer.body as Record<
      string,
      string | number
    >;
    expect(access_token).toMatch(/^pca_/);
    expect(refresh_token).toMatch(/^pcr_/);
    expect(token_type).toBe('Bearer');
    expect(expires_in).toBeLessThanOrEqual(900);
    expect(answer.headers['cache-control']).toBe('no-store');

    const grant = await db.grant.findFirstOrThrow({ where: { serverId: server.id, name: 'Laptop agent' } });
    const row = await db.oAuthToken.findUniqueOrThrow({
      where: { accessTokenHash: hashToken(String(access_token)) },
    });
    expect(row).toMatchObject({
      grantId: grant.id,
      resource,
      refreshTokenHash: hashToken(String(refresh_token)),
    });
    const stored = JSON.stringify([
      await db.oAuthToken.findMany(),
      await db.oAuthAuthorizationCode.findMany(),
    ]);
    for (const secret of [code, String(access_token), String(refresh_token)])
      expect(stored).not.toContain(secret);

    const listed = await listAuthorizedClients(db, owner.ctx);
    expect(listed).toEqual([
      expect.objectContaining({ grantId: grant.id, clientName: 'Test Agent', grantName: 'Laptop agent' }),
    ]);
    expect(
      await db.adminEvent.count({ where: { action: 'grant.oauth_authorize', targetId: grant.id } }),
    ).toBe(1);
  });

  it('binds the client to an existing grant when the user picks one', async () => {
    const { owner, server, resource } = await setup();
    const existing = await createGrant(db, owner.ctx, { name: 'ci bot', serverId: server.id });
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const code = await authorize(owner.userId, clientId, resource, challenge, existing.grant.id);
    const answer = await exchange(clientId, code, verifier, resource);
    const row = await db.oAuthToken.findUniqueOrThrow({
      where: { accessTokenHash: hashToken(String(answer.body.access_token)) },
    });
    expect(row.grantId).toBe(existing.grant.id);
    expect(await db.grant.count({ where: { serverId: server.id } })).toBe(1);
  });

  it('refuses a wrong resource: at authorization (not this gateway) and at the token endpoint (another server)', async () => {
    const { owner, resource } = await setup();
    const otherServer = await seedServer(owner.ctx.organizationId, 'Other');
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    for (const wrong of ['http://evil.test:4000/mcp/x', `${GATEWAY}/g/pcg_x/mcp`, `${GATEWAY}/mcp/`]) {
      const result = await validateAuthorizationRequest(db, params(clientId, wrong, challenge));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.refusal.error).toBe('invalid_target');
        expect(new URL(result.refusal.redirect!).searchParams.get('error')).toBe('invalid_target');
      }
    }
    const missing = await validateAuthorizationRequest(db, params(clientId, '', challenge));
    expect(missing.ok || missing.refusal.error).toBe('invalid_target');

    const code = await authorize(owner.userId, clientId, resource, challenge);
    const answer = await exchange(clientId, code, verifier, `${GATEWAY}/mcp/${otherServer.id}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_target');
    // The code was not spent by the refused request: the right resource still works.
    expect((await exchange(clientId, code, verifier, resource)).status).toBe(200);
  });

  it('refuses a replayed code, and revokes the tokens the first exchange gave', async () => {
    const { owner, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const code = await authorize(owner.userId, clientId, resource, challenge);
    const first = await exchange(clientId, code, verifier, resource);
    expect(first.status).toBe(200);
    const replay = await exchange(clientId, code, verifier, resource);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    const row = await db.oAuthToken.findUniqueOrThrow({
      where: { accessTokenHash: hashToken(String(first.body.access_token)) },
    });
    expect(row.revokedAt).not.toBeNull();
  });

  it('refuses a missing or wrong PKCE verifier (and the code is spent), and requests without S256 PKCE', async () => {
    const { owner, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const missing = await exchange(
      clientId,
      await authorize(owner.userId, clientId, resource, challenge),
      undefined,
      resource,
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_grant');
    const codeForWrong = await authorize(owner.userId, clientId, resource, challenge);
    const wrong = await exchange(clientId, codeForWrong, pkce().verifier, resource);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect((await exchange(clientId, codeForWrong, verifier, resource)).status).toBe(400);
    expect(await db.oAuthToken.count()).toBe(0);

    for (const extra of [
      { code_challenge: '' },
      { code_challenge_method: 'plain' },
      { code_challenge_method: '' },
    ]) {
      const result = await validateAuthorizationRequest(db, params(clientId, resource, challenge, extra));
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(new URL(result.refusal.redirect!).searchParams.get('error')).toBe('invalid_request');
    }
  });

  it('refuses a redirect URI that does not match exactly, without redirecting to it', async () => {
    const { owner, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    for (const redirect of [
      `${REDIRECT}/`,
      'http://127.0.0.1:33419/callback',
      'https://evil.test/callback',
      `${REDIRECT}?x=1`,
    ]) {
      const result = await validateAuthorizationRequest(
        db,
        params(clientId, resource, challenge, { redirect_uri: redirect }),
      );
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.refusal.redirect).toBeUndefined();
    }
    const code = await authorize(owner.userId, clientId, resource, challenge);
    const answer = await exchange(clientId, code, verifier, resource, 'http://127.0.0.1:33419/callback');
    expect(answer.status).toBe(400);
    expect(await db.oAuthToken.count()).toBe(0);
  });

  it('rotates refresh tokens, and a refresh token reused after rotation revokes the whole family', async () => {
    const { owner, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const first = await exchange(
      clientId,
      await authorize(owner.userId, clientId, resource, challenge),
      verifier,
      resource,
    );
    const refresh1 = String(first.body.refresh_token);
    const second = await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refresh1,
      resource,
    });
    expect(second.status).toBe(200);
    const refresh2 = String(second.body.refresh_token);
    expect(refresh2).not.toBe(refresh1);
    const wrongResource = await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refresh2,
      resource: `${GATEWAY}/mcp/other`,
    });
    expect(wrongResource.body.error).toBe('invalid_target');

    const reuse = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refresh1 });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    const family = await db.oAuthToken.findMany();
    expect(family).toHaveLength(2);
    expect(family.every((t) => t.revokedAt !== null)).toBe(true);
    expect(
      (await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refresh2 })).body.error,
    ).toBe('invalid_grant');
  });

  it('revoking a grant revokes its tokens; revoking one client leaves the grant', async () => {
    const { owner, server, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const answer = await exchange(
      clientId,
      await authorize(owner.userId, clientId, resource, challenge),
      verifier,
      resource,
    );
    const grantId = (await db.oAuthToken.findFirstOrThrow()).grantId;
    const [listed] = await listAuthorizedClients(db, owner.ctx);
    await revokeAuthorizedClient(db, owner.ctx, grantId, listed!.clientId);
    expect((await db.oAuthToken.findFirstOrThrow()).revokedAt).not.toBeNull();
    expect((await db.grant.findUniqueOrThrow({ where: { id: grantId } })).revokedAt).toBeNull();
    expect(await listAuthorizedClients(db, owner.ctx)).toEqual([]);
    expect(
      (
        await token({
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: String(answer.body.refresh_token),
        })
      ).body.error,
    ).toBe('invalid_grant');

    const again = pkce();
    await exchange(
      clientId,
      await authorize(owner.userId, clientId, resource, again.challenge, grantId),
      again.verifier,
      resource,
    );
    await revokeGrant(db, owner.ctx, grantId);
    expect(await db.oAuthToken.count({ where: { grantId, revokedAt: null } })).toBe(0);
    expect(server.id).toBeTruthy();
  });

  it('prunes codes and tokens a day after their last possible use, and idle clients after a week', async () => {
    const { owner, resource } = await setup();
    const clientId = await registered();
    const { verifier, challenge } = pkce();
    const live = await exchange(
      clientId,
      await authorize(owner.userId, clientId, resource, challenge),
      verifier,
      resource,
    );
    expect(live.status).toBe(200);
    const idle = await db.oAuthClient.create({
      data: {
        clientId: 'pcc_idle',
        kind: 'registered',
        name: 'idle',
        redirectUris: [REDIRECT],
        createdAt: new Date(Date.now() - 8 * 86_400_000),
      },
    });
    expect(await pruneOAuthRows(db)).toEqual({ codes: 0, tokens: 0, clients: 1 });
    expect(await db.oAuthClient.findUnique({ where: { id: idle.id } })).toBeNull();
    // Thirty-one days on, the refresh token has been dead for a day: everything goes.
    expect(await pruneOAuthRows(db, Date.now() + 32 * 86_400_000)).toEqual({
      codes: 1,
      tokens: 1,
      clients: 1,
    });
  });

  it("keeps consent inside the user's organizations and roles", async () => {
    const { owner, resource } = await setup();
    const stranger = await newOwner('Other org');
    const viewer = await addMember(owner.ctx.organizationId, owner.orgSlug, 'viewer');
    const clientId = await registered();
    const { challenge } = pkce();
    const result = await validateAuthorizationRequest(db, params(clientId, resource, challenge));
    if (!result.ok) throw new Error(result.refusal.description);
    await expect(loadConsent(db, stranger.userId, result.request)).rejects.toBeInstanceOf(NotFoundError);
    await expect(approveConsent(db, stranger.userId, result.request, 'new', 'x')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await loadConsent(db, viewer.user.id, result.request)).canAuthorize).toBe(false);
    await expect(approveConsent(db, viewer.user.id, result.request, 'new', 'x')).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const strangersGrant = await createGrant(db, stranger.ctx, {
      name: 'theirs',
      serverId: (await seedServer(stranger.ctx.organizationId)).id,
    });
    await expect(
      approveConsent(db, owner.userId, result.request, strangersGrant.grant.id, 'x'),
    ).rejects.toThrow(/active grant of this server/);

    // Declining sends the client back with access_denied and its state, and makes nothing.
    const denied = new URL(denialRedirect(result.request));
    expect([
      denied.searchParams.get('error'),
      denied.searchParams.get('state'),
      denied.searchParams.get('code'),
    ]).toEqual(['access_denied', 'st-1', null]);

    // Another organization's clients are neither listed nor revocable.
    const code = await authorize(owner.userId, clientId, resource, pkce().challenge);
    expect(code).toMatch(/^pco_/);
    const ownersGrant = (await db.oAuthAuthorizationCode.findFirstOrThrow()).grantId;
    const client = await db.oAuthClient.findUniqueOrThrow({ where: { clientId } });
    expect(await listAuthorizedClients(db, stranger.ctx)).toEqual([]);
    await expect(revokeAuthorizedClient(db, stranger.ctx, ownersGrant, client.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('OAuth clients', () => {
  it('registers public clients (RFC 7591) and refuses unsafe redirect URIs and confidential clients', async () => {
    const answer = await registerOAuthClient(db, {
      client_name: 'VS Code',
      redirect_uris: [
        'http://127.0.0.1:33418/',
        'https://vscode.dev/redirect',
        'cursor://anysphere.cursor-mcp/oauth/callback',
      ],
    });
    expect(answer).toMatchObject({
      client_id: expect.stringMatching(/^pcc_/),
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    for (const [body, error] of [
      [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://evil.test/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://ok.test/cb#frag'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: [] }, 'invalid_client_metadata'],
      [
        { redirect_uris: ['https://ok.test/cb'], token_endpoint_auth_method: 'client_secret_basic' },
        'invalid_client_metadata',
      ],
    ] as const) {
      await expect(registerOAuthClient(db, body)).rejects.toMatchObject({ error });
    }
    await expect(registerOAuthClient(db, 'nonsense')).rejects.toBeInstanceOf(RegistrationError);
  });

  it('fetches a Client ID Metadata Document from an allowed origin, caches it, and authorizes with it', async () => {
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    // The test's certificate is self-signed; the e2e suite trusts its own through NODE_EXTRA_CA_CERTS instead.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const { owner, resource } = await setup();
      const clientId = `${documentBase}/client.json`;
      documentRequests = 0;
      const client = await resolveOAuthClient(db, clientId);
      expect(client).toMatchObject({
        kind: 'metadataDocument',
        name: 'Document Client',
        redirectUris: [REDIRECT],
      });
      await resolveOAuthClient(db, clientId);
      expect(documentRequests).toBe(1);
      const { verifier, challenge } = pkce();
      const answer = await exchange(
        clientId,
        await authorize(owner.userId, clientId, resource, challenge),
        verifier,
        resource,
      );
      expect(answer.status).toBe(200);
      expect(documentRequests).toBe(1);
      // Re-fetched once the cache time has passed.
      await resolveOAuthClient(db, clientId, Date.now() + 11 * 60_000);
      expect(documentRequests).toBe(2);

      await expect(resolveOAuthClient(db, `${documentBase}/huge.json`)).rejects.toThrow(
        /larger than|could not be fetched/,
      );
      await expect(resolveOAuthClient(db, `${documentBase}/other.json`)).rejects.toThrow(/another client_id/);
      await expect(resolveOAuthClient(db, `${documentBase}/missing.json`)).rejects.toThrow(/HTTP 404/);

      // The public token endpoint never fetches a document for a client it has not seen.
      const before = documentRequests;
      const unknown = await token({
        grant_type: 'authorization_code',
        client_id: `${documentBase}/never-authorized.json`,
        code: 'pco_x',
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toBe('invalid_client');
      expect(documentRequests).toBe(before);
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
  });

  it('refuses a metadata document URL on a private address that the operator did not allow, and malformed ones', async () => {
    const { resource } = await setup();
    const { challenge } = pkce();
    const port = new URL(documentBase).port;
    for (const clientId of [
      `https://localhost:${port}/client.json`,
      'https://10.0.0.7/client.json',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/client.json',
    ]) {
      const result = await validateAuthorizationRequest(db, params(clientId, resource, challenge));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.refusal).toMatchObject({ error: 'invalid_client' });
        expect(result.refusal.description).toMatch(/private address.*OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS/);
        expect(result.refusal.redirect).toBeUndefined();
      }
    }
    for (const clientId of [
      'https://example.test/',
      'https://u:p@example.test/c.json',
      'https://example.test/a/../c.json',
      'http://example.test/c.json',
    ]) {
      const result = await validateAuthorizationRequest(db, params(clientId, resource, challenge));
      expect(result.ok).toBe(false);
    }
    expect(await db.oAuthClient.count()).toBe(0);
  });
});
