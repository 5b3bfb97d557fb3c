// The authorization server's fixed settings (docs/oauth.md): who it is, how long things live, and
// which resources (gateway grant URLs) it issues tokens for.
import { env } from '../../env';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60;
export const AUTHORIZATION_CODE_SECONDS = 60;

/** The issuer: the dashboard's public URL (AUTH_URL), without a trailing slash. */
export function oauthIssuer(): string {
  return (env().AUTH_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
}

export function authorizationServerMetadata(): Record<string, unknown> {
  const issuer = oauthIssuer();
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    client_id_metadata_document_supported: true,
  };
}

const TARGET_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The server or toolset a resource indicator (RFC 8707) names: exactly
 * `<GATEWAY_PUBLIC_URL>/mcp/<serverId or toolsetId>`, the grant URL the gateway's protected-resource
 * metadata advertises. One trailing slash is tolerated (clients differ on it); the canonical form
 * is what tokens are bound to.
 */
export function parseGatewayResource(resource: string): { resource: string; targetId: string } | undefined {
  const prefix = `${env().GATEWAY_PUBLIC_URL}/mcp/`;
  if (!resource.startsWith(prefix)) return undefined;
  const targetId = resource.slice(prefix.length).replace(/\/$/, '');
  if (!TARGET_ID.test(targetId)) return undefined;
  return { resource: `${prefix}${targetId}`, targetId };
}
