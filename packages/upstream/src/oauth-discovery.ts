// Discovery at registration: does an HTTP upstream want OAuth, and how would Portcullis sign in?
// The protocol steps are the MCP SDK's client auth functions (RFC 9728 from the 401's
// WWW-Authenticate or the well-known URIs, then RFC 8414 / OpenID discovery on the issuer); what
// they return is an upstream's word, so it is checked here before anything is stored or shown:
// the resource must be the server's own, the issuer must be the one named, every endpoint https
// (or an origin the operator allows), PKCE S256 offered, and every fetch bounded (oauth-fetch.ts).
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { checkResourceAllowed } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { createOAuthFetch, OAuthFetchError, oauthUrlAllowed, type OAuthFetchOptions } from './oauth-fetch.ts';

export type ClientRegistrationMethod = 'pre_registered' | 'metadata_document' | 'dynamic';

export interface UpstreamOAuthDiscovery {
  /** RFC 8707 resource indicator to send (the metadata's `resource`, verbatim). */
  resource: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  registrationEndpoint: string | null;
  revocationEndpoint: string | null;
  /** Scopes to ask for: the 401's scope, else the resource's scopes_supported. */
  scopes: string[];
  clientIdMetadataDocumentSupported: boolean;
  tokenEndpointAuthMethods: string[];
}

export class UpstreamOAuthDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamOAuthDiscoveryError';
  }
}

const MAX_SCOPES = 50;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;

/**
 * Probes the server with an MCP initialize. No 401: the server needs no sign-in (null). A 401: the
 * OAuth facts, checked; a 401 without usable metadata throws with a sentence naming the problem.
 */
export async function discoverUpstreamOAuth(
  serverUrl: string,
  options: OAuthFetchOptions,
): Promise<UpstreamOAuthDiscovery | null> {
  const server = new URL(serverUrl);
  const probe = await createOAuthFetch(options, { plainHttp: true })(server, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'portcullis-discovery', version: '0.1.0' },
      },
    }),
  });
  if (probe.status !== 401) return null;
  const challenge = extractWWWAuthenticateParams(probe);
  return await discoverFromChallenge(server, challenge, options);
}

/** Discovery from what a 401 said (also used when a call hits a 401 at run time). */
export async function discoverFromChallenge(
  server: URL,
  challenge: { resourceMetadataUrl?: URL; scope?: string },
  options: OAuthFetchOptions,
): Promise<UpstreamOAuthDiscovery> {
  const fetchFn = createOAuthFetch(options);
  const metadataUrl = challenge.resourceMetadataUrl;
  if (metadataUrl && !oauthUrlAllowed(metadataUrl, options))
    throw new UpstreamOAuthDiscoveryError('The server named a resource metadata URL that is not https');
  let resourceMetadata;
  try {
    resourceMetadata = await discoverOAuthProtectedResourceMetadata(
      server,
      metadataUrl ? { resourceMetadataUrl: metadataUrl } : {},
      fetchFn,
    );
  } catch (error) {
    throw new UpstreamOAuthDiscoveryError(
      `The server asks for sign-in but its protected resource metadata (RFC 9728) could not be read: ${reason(error)}`,
    );
  }
  let resourceUrl: URL;
  try {
    resourceUrl = new URL(resourceMetadata.resource);
  } catch {
    throw new UpstreamOAuthDiscoveryError('The protected resource metadata names no valid resource');
  }
  // A metadata document for someone else's resource would send our users' tokens there.
  if (!checkResourceAllowed({ requestedResource: server, configuredResource: resourceUrl }))
    throw new UpstreamOAuthDiscoveryError(
      `The protected resource metadata is for ${resourceUrl.origin}${resourceUrl.pathname}, not for this server`,
    );
  const issuerText = resourceMetadata.authorization_servers?.[0];
  if (!issuerText)
    throw new UpstreamOAuthDiscoveryError('The protected resource metadata names no authorization server');
  const issuer = checkedUrl(issuerText, 'authorization server', options);

  let metadata;
  try {
    metadata = await discoverAuthorizationServerMetadata(issuer, { fetchFn });
  } catch (error) {
    throw new UpstreamOAuthDiscoveryError(
      `The authorization server's metadata could not be read: ${reason(error)}`,
    );
  }
  if (!metadata)
    throw new UpstreamOAuthDiscoveryError(
      `${issuer.origin} publishes no authorization server metadata (RFC 8414 or OpenID discovery)`,
    );
  // RFC 8414 section 3.3: the issuer in the document must be the one it was fetched for.
  if (trimSlash(metadata.issuer) !== trimSlash(issuerText))
    throw new UpstreamOAuthDiscoveryError(
      `The authorization server's metadata names issuer ${JSON.stringify(metadata.issuer.slice(0, 200))}, not ${issuerText}`,
    );
  if (!metadata.code_challenge_methods_supported?.includes('S256'))
    throw new UpstreamOAuthDiscoveryError('The authorization server does not offer PKCE with S256');
  if (metadata.response_types_supported && !metadata.response_types_supported.includes('code'))
    throw new UpstreamOAuthDiscoveryError(
      'The authorization server does not offer the authorization code flow',
    );

  const revocation = (metadata as { revocation_endpoint?: unknown }).revocation_endpoint;
  const scopes = (challenge.scope?.split(' ') ?? resourceMetadata.scopes_supported ?? []).filter(Boolean);
  if (scopes.length > MAX_SCOPES || scopes.some((s) => !SCOPE.test(s)))
    throw new UpstreamOAuthDiscoveryError('The server asks for scopes that are malformed or too many');
  return {
    resource: resourceMetadata.resource,
    issuer: metadata.issuer,
    authorizationEndpoint: checkedUrl(metadata.authorization_endpoint, 'authorization endpoint', options)
      .href,
    tokenEndpoint: checkedUrl(metadata.token_endpoint, 'token endpoint', options).href,
    registrationEndpoint: metadata.registration_endpoint
      ? checkedUrl(metadata.registration_endpoint, 'registration endpoint', options).href
      : null,
    revocationEndpoint:
      typeof revocation === 'string' ? checkedUrl(revocation, 'revocation endpoint', options).href : null,
    scopes,
    clientIdMetadataDocumentSupported: metadata.client_id_metadata_document_supported === true,
    tokenEndpointAuthMethods: metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'],
  };
}

/**
 * The registration method the dashboard will use, in the order: the tenant's own client
 * (when they entered one), a Client ID Metadata Document, dynamic registration; null when the
 * authorization server offers neither and the tenant must register an app there first.
 */
export function chooseRegistrationMethod(
  discovery: Pick<UpstreamOAuthDiscovery, 'clientIdMetadataDocumentSupported' | 'registrationEndpoint'>,
  hasPreRegisteredClient: boolean,
): ClientRegistrationMethod | null {
  if (hasPreRegisteredClient) return 'pre_registered';
  if (discovery.clientIdMetadataDocumentSupported) return 'metadata_document';
  if (discovery.registrationEndpoint) return 'dynamic';
  return null;
}

function checkedUrl(text: string, what: string, options: OAuthFetchOptions): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UpstreamOAuthDiscoveryError(`The ${what} is not a valid URL`);
  }
  if (!oauthUrlAllowed(url, options))
    throw new UpstreamOAuthDiscoveryError(`The ${what} ${url.origin} must use https`);
  return url;
}

function trimSlash(text: string): string {
  return text.endsWith('/') ? text.slice(0, -1) : text;
}

/** Our own words for what went wrong (never the upstream's text, which is attacker-controlled). */
function reason(error: unknown): string {
  if (error instanceof OAuthFetchError || error instanceof UpstreamOAuthDiscoveryError) return error.message;
  if ((error as Error).name === 'ZodError') return 'the document is not valid metadata';
  if (error instanceof SyntaxError) return 'the answer is not JSON';
  const message = (error as Error).message ?? '';
  const status = /HTTP (\d{3})/.exec(message);
  if (status) return `it answered HTTP ${status[1]}`;
  if (/does not implement/.test(message)) return 'it is not published';
  return (error as Error).name ?? 'unknown error';
}
