// Portcullis as an OAuth client of an upstream's authorization server: dynamic registration
// (RFC 7591) through the MCP SDK's client auth functions, over the bounded, guarded fetch.
import { registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import type { UpstreamOAuthDiscovery } from './oauth-discovery.ts';
import { createOAuthFetch, type OAuthFetchOptions } from './oauth-fetch.ts';

export interface DynamicRegistration {
  clientId: string;
  clientSecret: string | null;
}

export async function registerDynamicClient(
  discovery: UpstreamOAuthDiscovery,
  client: { name: string; redirectUri: string },
  options: OAuthFetchOptions,
): Promise<DynamicRegistration> {
  if (!discovery.registrationEndpoint) throw new Error('The authorization server offers no registration');
  const registered = await registerClient(discovery.issuer, {
    metadata: {
      issuer: discovery.issuer,
      authorization_endpoint: discovery.authorizationEndpoint,
      token_endpoint: discovery.tokenEndpoint,
      registration_endpoint: discovery.registrationEndpoint,
      response_types_supported: ['code'],
    },
    clientMetadata: {
      client_name: client.name,
      redirect_uris: [client.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    ...(discovery.scopes.length ? { scope: discovery.scopes.join(' ') } : {}),
    fetchFn: createOAuthFetch(options),
  });
  return { clientId: registered.client_id, clientSecret: registered.client_secret ?? null };
}
