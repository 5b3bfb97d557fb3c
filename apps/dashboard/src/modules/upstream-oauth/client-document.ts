// Portcullis as an OAuth client of upstream authorization servers: its Client ID Metadata Document
// (MCP authorization 2025-11-25) lives at one stable URL of the dashboard, and that URL is the
// client_id an authorization server that supports such documents knows us by.
import { oauthIssuer } from '../oauth/oauth-settings';

/** The client_id for metadata-document registration: the document's own https URL. */
export function upstreamClientId(): string {
  return `${oauthIssuer()}/oauth/upstream-client`;
}

/** Where upstream authorization servers send the browser back with a code. */
export function upstreamCallbackUrl(): string {
  return `${oauthIssuer()}/oauth/upstream-callback`;
}

export function upstreamClientMetadataDocument(): Record<string, unknown> {
  return {
    client_id: upstreamClientId(),
    client_name: 'Portcullis',
    client_uri: oauthIssuer(),
    redirect_uris: [upstreamCallbackUrl()],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // A public client: PKCE protects the code; there is no secret to leak from a document.
    token_endpoint_auth_method: 'none',
  };
}
