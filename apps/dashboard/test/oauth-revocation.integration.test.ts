// Token revocation (RFC 7009) at the dashboard's authorization server, through the function the
// POST /oauth/revoke route calls: a client revokes its own refresh or access token (and with it the
// whole family), never another client's; unknown tokens get the same 200; a missing token is 400 and
// a client that does not authenticate is 401. The gateway's refusal of a revoked access token is
// test/oauth-revocation.integration.test.ts (it runs both apps).
import { hashToken } from '@portcullis/crypto/tokens';
import { beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { handleRevocationRequest } from '../src/modules/oauth/authorization-server.ts';
import { authorizeClient, FORM_HEADERS as FORM, tokenRequest as token } from './oauth-flow.ts';
import { authorizationServerMetadata } from '../src/modules/oauth/oauth-settings.ts';
import { authConfig } from '../src/auth.config.ts';

beforeEach(async () => {
  await resetDatabase();
  await db.$executeRawUnsafe('TRUNCATE oauth_clients CASCADE');
});

const revoke = (body: Record<string, string>, headers: Record<string, string> = FORM) =>
  handleRevocationRequest(db, new URLSearchParams(body), headers);

/** A registered client with tokens from the full code + PKCE flow on a new grant. */
async function clientWithTokens(name = 'Agent') {
  const owner = await newOwner();
  const server = await seedServer(owner.ctx.organizationId);
  return authorizeClient(owner.userId, name, `${process.env.GATEWAY_PUBLIC_URL}/mcp/${server.id}`);
}

/** What the gateway reads for an access token (apps/gateway/src/http/oauth-resource.ts): its row by hash. */
async function accessRevoked(access: string): Promise<boolean> {
  const row = await db.oAuthToken.findUniqueOrThrow({ where: { accessTokenHash: hashToken(access) } });
  return row.revokedAt !== null;
}

const refreshWith = (clientId: string, refresh: string) =>
  token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refresh });

describe('OAuth token revocation (RFC 7009)', () => {
  it('lists the revocation endpoint in the authorization server metadata, and the proxy lets it through', () => {
    expect(authorizationServerMetadata()).toMatchObject({
      revocation_endpoint: 'http://localhost:3000/oauth/revoke',
      revocation_endpoint_auth_methods_supported: ['none'],
    });
    const authorized = authConfig.callbacks.authorized as (args: {
      auth: null;
      request: { nextUrl: URL };
    }) => boolean;
    expect(
      authorized({ auth: null, request: { nextUrl: new URL('http://localhost:3000/oauth/revoke') } }),
    ).toBe(true);
  });

  it('revoking a refresh token ends it and the access tokens issued from it', async () => {
    const { clientId, access, refresh } = await clientWithTokens();
    // A rotation first: the family now has two rows, both of which must go.
    const rotated = await refreshWith(clientId, refresh);
    expect(rotated.status).toBe(200);
    const access2 = String(rotated.body.access_token);
    const refresh2 = String(rotated.body.refresh_token);

    const answer = await revoke({ token: refresh2, token_type_hint: 'refresh_token', client_id: clientId });
    expect(answer).toMatchObject({ status: 200, headers: { 'cache-control': 'no-store' } });

    const refused = await refreshWith(clientId, refresh2);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(await accessRevoked(access2)).toBe(true);
    expect(await accessRevoked(access)).toBe(true);
  });

  it('revoking an access token (with or without a hint) ends it and its refresh token', async () => {
    for (const hint of [
      { token_type_hint: 'access_token' },
      {},
      { token_type_hint: 'refresh_token' },
    ] as Record<string, string>[]) {
      const { clientId, access, refresh } = await clientWithTokens();
      const answer = await revoke({ token: access, client_id: clientId, ...hint });
      expect(answer.status).toBe(200);
      expect(await accessRevoked(access)).toBe(true);
      expect((await refreshWith(clientId, refresh)).body.error).toBe('invalid_grant');
    }
  });

  it("answers 200 for another client's token and leaves it working, and 200 for unknown or spent tokens", async () => {
    const mine = await clientWithTokens('Mine');
    const theirs = await clientWithTokens('Theirs');
    for (const stolen of [theirs.access, theirs.refresh]) {
      const answer = await revoke({ token: stolen, client_id: mine.clientId });
      expect(answer).toMatchObject({ status: 200, body: {} });
    }
    expect(await accessRevoked(theirs.access)).toBe(false);
    expect((await refreshWith(theirs.clientId, theirs.refresh)).status).toBe(200);
    expect(await accessRevoked(mine.access)).toBe(false);

    // No oracle: unknown, malformed and already-revoked tokens get the same answer.
    expect((await revoke({ token: 'pca_nosuchtoken', client_id: mine.clientId })).status).toBe(200);
    expect((await revoke({ token: 'not a token at all', client_id: mine.clientId })).status).toBe(200);
    expect((await revoke({ token: mine.access, client_id: mine.clientId })).status).toBe(200);
    expect((await revoke({ token: mine.access, client_id: mine.clientId })).status).toBe(200);
  });

  it('refuses a request without a token (400) or with an unknown token_type_hint (400)', async () => {
    const { clientId, access } = await clientWithTokens();
    for (const body of [{ client_id: clientId }, { client_id: clientId, token: '' }] as Record<
      string,
      string
    >[]) {
      const answer = await revoke(body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: /`token`/ });
    }
    const hint = await revoke({ token: access, token_type_hint: 'id_token', client_id: clientId });
    expect(hint.status).toBe(400);
    expect(hint.body).toMatchObject({ error: 'invalid_request', error_description: /token_type_hint/ });
    expect(await accessRevoked(access)).toBe(false);
  });

  it('refuses a client that does not authenticate with 401 invalid_client, and revokes nothing', async () => {
    const { clientId, access } = await clientWithTokens();
    const basic = `Basic ${Buffer.from('pcc_nosuchclient:x').toString('base64')}`;
    for (const [body, headers] of [
      [{ token: access }, FORM],
      [{ token: access, client_id: 'pcc_nosuchclient' }, FORM],
      [{ token: access }, { ...FORM, authorization: basic }],
    ] as const) {
      const answer = await revoke(body, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    }
    expect(await accessRevoked(access)).toBe(false);
    // The same client authenticating with HTTP Basic (empty secret), as at the token endpoint.
    const own = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:`).toString('base64')}`;
    expect((await revoke({ token: access }, { ...FORM, authorization: own })).status).toBe(200);
    expect(await accessRevoked(access)).toBe(true);
  });
});
