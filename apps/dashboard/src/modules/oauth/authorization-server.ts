// The authorization endpoint's checks, the code it issues after consent, and the token endpoint.
// The protocol (code grant, PKCE S256, refresh rotation, error answers) is @node-oauth/oauth2-server's;
// this file adds what it does not know: MCP resources (RFC 8707), grants, S256-only PKCE, and token
// revocation (RFC 7009), which the library lacks.
import type { Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import { hashToken } from '@portcullis/crypto/tokens';
import OAuth2Server from '@node-oauth/oauth2-server';
import TokenHandler from '@node-oauth/oauth2-server/lib/handlers/token-handler';
import { ClientMetadataError } from './client-metadata-document';
import { resolveOAuthClient, type OAuthClientView } from './oauth-clients';
import { createOAuthModel, type OAuthBinding } from './oauth-model';
import {
  ACCESS_TOKEN_SECONDS,
  AUTHORIZATION_CODE_SECONDS,
  parseGatewayResource,
  REFRESH_TOKEN_SECONDS,
} from './oauth-settings';

export type AuthorizationParams = Record<string, string | undefined>;

export interface AuthorizationRequest {
  client: OAuthClientView;
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  resource: string;
  /** The server or toolset the resource names (a grant URL is `/mcp/<serverId or toolsetId>`). */
  targetId: string;
  /** The parameters as received, passed on unchanged to the library after consent. */
  params: Record<string, string>;
}

/**
 * A refusal. With `redirect`, the client and redirect URI were verified and the error goes back to
 * the client there; without, it is shown to the user only (never redirect to an unverified URI).
 */
export interface AuthorizationRefusal {
  error: string;
  description: string;
  redirect?: string;
}

const PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'scope',
] as const;

function errorRedirect(redirectUri: string, error: string, description: string, state?: string): string {
  const url = new URL(redirectUri);
  url.searchParams.set('error', error);
  url.searchParams.set('error_description', description);
  if (state) url.searchParams.set('state', state);
  return url.toString();
}

export async function validateAuthorizationRequest(
  db: Db,
  raw: AuthorizationParams,
): Promise<{ ok: true; request: AuthorizationRequest } | { ok: false; refusal: AuthorizationRefusal }> {
  const params: Record<string, string> = {};
  for (const key of PARAMS) if (typeof raw[key] === 'string' && raw[key] !== '') params[key] = raw[key];
  const refuse = (error: string, description: string, redirect?: string) => ({
    ok: false as const,
    refusal: { error, description, ...(redirect ? { redirect } : {}) },
  });

  if (!params.client_id) return refuse('invalid_request', 'The request has no client_id.');
  let client: OAuthClientView;
  try {
    client = await resolveOAuthClient(db, params.client_id);
  } catch (error) {
    if (error instanceof ClientMetadataError) return refuse('invalid_client', error.message);
    throw error;
  }
  const redirectUri = params.redirect_uri;
  if (!redirectUri) return refuse('invalid_request', 'The request has no redirect_uri.');
  // Exact string comparison: no prefix, port or trailing-slash leniency.
  if (!client.redirectUris.includes(redirectUri))
    return refuse('invalid_request', `The redirect URI ${redirectUri} is not one ${client.name} registered.`);

  const state = params.state;
  const back = (error: string, description: string) =>
    refuse(error, description, errorRedirect(redirectUri, error, description, state));
  if (params.response_type !== 'code')
    return back('unsupported_response_type', 'response_type must be code.');
  if (!params.code_challenge)
    return back('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
  if (params.code_challenge_method !== 'S256')
    return back('invalid_request', 'code_challenge_method must be S256.');
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(params.code_challenge))
    return back('invalid_request', 'code_challenge is malformed.');
  if (!params.resource)
    return back('invalid_target', 'resource is required: the MCP server URL of the grant (RFC 8707).');
  const target = parseGatewayResource(params.resource);
  if (!target)
    return back('invalid_target', `${params.resource} is not an MCP server URL of this Portcullis gateway.`);
  return {
    ok: true,
    request: {
      client,
      redirectUri,
      ...(state ? { state } : {}),
      codeChallenge: params.code_challenge,
      resource: target.resource,
      targetId: target.targetId,
      params,
    },
  };
}

function options() {
  return {
    accessTokenLifetime: ACCESS_TOKEN_SECONDS,
    refreshTokenLifetime: REFRESH_TOKEN_SECONDS,
    authorizationCodeLifetime: AUTHORIZATION_CODE_SECONDS,
    allowEmptyState: true,
    allowBearerTokensInQueryString: false,
    requireClientAuthentication: { authorization_code: false, refresh_token: false },
    alwaysIssueNewRefreshToken: true,
  };
}

/** After consent: the redirect (with the code) back to the client. The code is bound to the grant. */
export async function issueAuthorizationCode(
  db: Db,
  request: AuthorizationRequest,
  binding: { userId: string; grantId: string },
): Promise<string> {
  const user: OAuthBinding = { ...binding, resource: request.resource };
  const server = new OAuth2Server({ model: createOAuthModel(db), ...options() });
  const req = new OAuth2Server.Request({
    method: 'GET',
    headers: {},
    query: { ...request.params },
    body: {},
  });
  const res = new OAuth2Server.Response({ headers: {} });
  await server.authorize(req, res, { authenticateHandler: { handle: () => user } });
  const location = res.get('location') as string | undefined;
  if (!location) throw new Error('The authorization server did not produce a redirect');
  return location;
}

export function denialRedirect(request: AuthorizationRequest): string {
  return errorRedirect(request.redirectUri, 'access_denied', 'The user declined.', request.state);
}

export interface TokenAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The parsed form as the library's Request, with the headers it checks the body's type by. */
function libraryRequest(
  form: URLSearchParams,
  headers: Record<string, string>,
  body: Record<string, string>,
) {
  // The form is parsed already; the library still checks the body's type and presence from these headers.
  const formHeaders = {
    ...headers,
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(form.toString())),
  };
  return new OAuth2Server.Request({ method: 'POST', headers: formHeaders, query: {}, body });
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function errorAnswer(error: unknown, extraHeaders: Record<string, string> = {}): TokenAnswer {
  if (!(error instanceof OAuth2Server.OAuthError)) throw error;
  const status = error.code >= 500 ? 500 : error.name === 'invalid_client' ? 401 : 400;
  return {
    status,
    headers: { ...NO_STORE, ...extraHeaders },
    body: { error: error.name, error_description: error.message },
  };
}

function formBody(form: URLSearchParams): Record<string, string> {
  return Object.fromEntries(form);
}

/** POST /oauth/token (form-encoded). */
export async function handleTokenRequest(
  db: Db,
  form: URLSearchParams,
  headers: Record<string, string>,
): Promise<TokenAnswer> {
  const body = formBody(form);
  const server = new OAuth2Server({ model: createOAuthModel(db, body.resource, false), ...options() });
  const req = libraryRequest(form, headers, body);
  const res = new OAuth2Server.Response({ headers: {} });
  try {
    await server.token(req, res);
    return { status: res.status ?? 200, headers: NO_STORE, body: res.body as Record<string, unknown> };
  } catch (error) {
    return errorAnswer(error);
  }
}

const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token'];

/**
 * POST /oauth/revoke (RFC 7009, form-encoded). The client authenticates as at the token endpoint
 * for a refresh (the library's own check: client_id in the body, or HTTP Basic). Revoking either
 * token of a row revokes its whole refresh-token family, every access and refresh token issued from
 * the same authorization code: a client signing out wants all of them gone (RFC 7009 2.1 allows it).
 * An unknown, spent or foreign token gets the same 200 and changes nothing.
 */
export async function handleRevocationRequest(
  db: Db,
  form: URLSearchParams,
  headers: Record<string, string>,
): Promise<TokenAnswer> {
  const body = formBody(form);
  if (!body.token) return errorAnswer(new OAuth2Server.InvalidRequestError('Missing parameter: `token`'));
  const hint = body.token_type_hint;
  if (hint !== undefined && !TOKEN_TYPE_HINTS.includes(hint))
    return errorAnswer(
      new OAuth2Server.InvalidRequestError(
        `Invalid parameter: \`token_type_hint\` must be access_token or refresh_token, not ${hint.slice(0, 40)}`,
      ),
    );

  const model = createOAuthModel(db, undefined, false);
  const handler = new TokenHandler({ model, ...options() });
  // grant_type selects which of the token endpoint's client-authentication rules apply.
  const req = libraryRequest(form, headers, { ...body, grant_type: 'refresh_token' });
  const res = new OAuth2Server.Response({ headers: {} });
  let client: OAuth2Server.Client;
  try {
    client = await handler.getClient(req, res);
  } catch (error) {
    const challenge = res.get('www-authenticate') as string | undefined;
    return errorAnswer(error, challenge ? { 'www-authenticate': challenge } : {});
  }

  // Both hashes are unique, so one query finds the token whatever its type; the hint is not needed.
  const hash = hashToken(body.token);
  const row = await db.oAuthToken.findFirst({
    where: { OR: [{ accessTokenHash: hash }, { refreshTokenHash: hash }] },
    select: { familyId: true, clientId: true, grantId: true, grant: { select: { organizationId: true } } },
  });
  // RFC 7009 2.1: only the client the token was issued to may revoke it.
  if (row && row.clientId === client.dbId) {
    const revoked = await db.oAuthToken.updateMany({
      where: { familyId: row.familyId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    // The gateway drops its cached lookups of this grant's access tokens at once.
    if (revoked.count > 0)
      await notifyChange(db, {
        type: 'grant',
        organizationId: row.grant.organizationId,
        grantId: row.grantId,
      });
  }
  return { status: 200, headers: NO_STORE, body: {} };
}
