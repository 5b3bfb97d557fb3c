// Portcullis as an OAuth client of an upstream's authorization server, per connected account: the
// authorization request (code + PKCE S256 + RFC 8707 resource + state), the code exchange, the
// refresh and RFC 7009 revocation. The protocol steps are the MCP SDK's client auth functions
// (startAuthorization, exchangeAuthorization, refreshAuthorization); every request goes through the
// guarded, bounded fetch (oauth-fetch.ts). What comes back is checked before anything keeps it.
import {
  exchangeAuthorization,
  refreshAuthorization,
  startAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createOAuthFetch, OAuthFetchError, oauthUrlAllowed, type OAuthFetchOptions } from './oauth-fetch.ts';

/** What a stored sign-in configuration gives the token steps (see UpstreamOAuthConfig in the schema). */
export interface UpstreamOAuthClient {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  resource: string;
  scopes: readonly string[];
  clientId: string;
  clientSecret: string | null;
  tokenEndpointAuthMethod: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string | null;
  /** Absolute expiry of the access token, when the server said (expires_in). */
  expiresAt: Date | null;
  scopes: string[];
}

/** The authorization server refused the grant (invalid_grant and the like): someone must connect again. */
export class UpstreamGrantRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamGrantRejectedError';
  }
}

/** Largest token we keep (a JWT access token is a few KiB; anything far beyond is not a token). */
const MAX_TOKEN_CHARS = 16_384;
/** Errors that mean the grant itself is gone, not that the server had a bad moment. */
const GRANT_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope']);

function metadata(client: UpstreamOAuthClient) {
  return {
    issuer: client.issuer,
    authorization_endpoint: client.authorizationEndpoint,
    token_endpoint: client.tokenEndpoint,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [client.tokenEndpointAuthMethod],
  };
}

function clientInformation(client: UpstreamOAuthClient): OAuthClientInformationMixed {
  return {
    client_id: client.clientId,
    ...(client.clientSecret ? { client_secret: client.clientSecret } : {}),
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
  };
}

/** The URL the browser is sent to, and the PKCE verifier to keep (sealed) until the callback. */
export async function authorizationRequest(
  client: UpstreamOAuthClient,
  input: { redirectUri: string; state: string },
  options: OAuthFetchOptions,
): Promise<{ url: URL; codeVerifier: string }> {
  const endpoint = new URL(client.authorizationEndpoint);
  if (!oauthUrlAllowed(endpoint, options))
    throw new OAuthFetchError(`Refused ${endpoint.origin}: OAuth URLs must use https`);
  const { authorizationUrl, codeVerifier } = await startAuthorization(client.issuer, {
    metadata: metadata(client),
    clientInformation: clientInformation(client),
    redirectUrl: input.redirectUri,
    state: input.state,
    resource: client.resource,
    ...(client.scopes.length ? { scope: client.scopes.join(' ') } : {}),
  });
  return { url: authorizationUrl, codeVerifier };
}

export async function exchangeCode(
  client: UpstreamOAuthClient,
  input: { code: string; codeVerifier: string; redirectUri: string },
  options: OAuthFetchOptions,
): Promise<IssuedTokens> {
  const tokens = await tokenStep(() =>
    exchangeAuthorization(client.issuer, {
      metadata: metadata(client),
      clientInformation: clientInformation(client),
      authorizationCode: input.code,
      codeVerifier: input.codeVerifier,
      redirectUri: input.redirectUri,
      resource: client.resource,
      fetchFn: createOAuthFetch(options),
    }),
  );
  return issued(tokens, null, client);
}

/** A refresh; rotation is honoured (a new refresh token replaces the old one, else the old is kept). */
export async function refreshTokens(
  client: UpstreamOAuthClient,
  refreshToken: string,
  options: OAuthFetchOptions,
): Promise<IssuedTokens> {
  const tokens = await tokenStep(() =>
    refreshAuthorization(client.issuer, {
      metadata: metadata(client),
      clientInformation: clientInformation(client),
      refreshToken,
      resource: client.resource,
      fetchFn: createOAuthFetch(options),
    }),
  );
  return issued(tokens, refreshToken, client);
}

/**
 * RFC 7009 revocation, where the server offers it; false when it does not or refused. Best effort:
 * a disconnect goes ahead (our copy is deleted) whatever the answer.
 */
export async function revokeToken(
  client: UpstreamOAuthClient,
  token: string,
  hint: 'access_token' | 'refresh_token',
  options: OAuthFetchOptions,
): Promise<boolean> {
  if (!client.revocationEndpoint) return false;
  const body = new URLSearchParams({ token, token_type_hint: hint });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.clientSecret && client.tokenEndpointAuthMethod === 'client_secret_basic') {
    const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    body.set('client_id', client.clientId);
    if (client.clientSecret) body.set('client_secret', client.clientSecret);
  }
  try {
    const response = await createOAuthFetch(options)(client.revocationEndpoint, {
      method: 'POST',
      headers,
      body,
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function tokenStep(step: () => Promise<OAuthTokens>): Promise<OAuthTokens> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof OAuthError && GRANT_ERRORS.has(error.errorCode))
      throw new UpstreamGrantRejectedError(
        `The authorization server refused the grant (${error.errorCode}); connect the account again`,
      );
    if (error instanceof OAuthFetchError) throw error;
    // The SDK's own errors carry the server's text; ours names only what happened.
    throw new OAuthFetchError(
      error instanceof OAuthError
        ? `The authorization server answered the token request with ${error.errorCode}`
        : 'The authorization server gave no usable token answer',
    );
  }
}

function issued(
  tokens: OAuthTokens,
  previousRefresh: string | null,
  client: UpstreamOAuthClient,
): IssuedTokens {
  const access = tokens.access_token;
  if (typeof access !== 'string' || access.length === 0 || access.length > MAX_TOKEN_CHARS)
    throw new OAuthFetchError('The authorization server sent no usable access token');
  if ((tokens.token_type ?? 'bearer').toLowerCase() !== 'bearer')
    throw new OAuthFetchError(
      `The authorization server sent a ${tokens.token_type} token; only bearer tokens are used`,
    );
  const refresh = tokens.refresh_token ?? previousRefresh;
  if (refresh !== null && (typeof refresh !== 'string' || refresh.length > MAX_TOKEN_CHARS))
    throw new OAuthFetchError('The authorization server sent an unusable refresh token');
  const expiresIn = Number(tokens.expires_in);
  const expiresAt =
    Number.isFinite(expiresIn) && expiresIn > 0
      ? new Date(Date.now() + Math.min(expiresIn, 10 * 365 * 86_400) * 1000)
      : null;
  const scopes =
    typeof tokens.scope === 'string'
      ? tokens.scope.split(' ').filter(Boolean).slice(0, 50)
      : [...client.scopes];
  return { accessToken: access, refreshToken: refresh, expiresAt, scopes };
}
