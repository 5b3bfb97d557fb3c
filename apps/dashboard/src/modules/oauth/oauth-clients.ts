// OAuth clients: Client ID Metadata Documents (fetched, cached in oauth_clients) and clients made by
// dynamic client registration (RFC 7591). Both are public clients (PKCE, no secret).
import { pruneUnauthorizedRegistrations } from './oauth-prune';
import type { Db } from '@portcullis/db/client';
import { issueToken } from '@portcullis/crypto/tokens';
import { z } from 'zod';
import { env } from '../../env';
import {
  checkRedirectUri,
  ClientMetadataError,
  fetchClientMetadataDocument,
  isMetadataDocumentClientId,
} from './client-metadata-document';

/** A fetched metadata document is reused for this long before it is fetched again. */
export const METADATA_DOCUMENT_CACHE_MS = 10 * 60_000;

export interface OAuthClientView {
  /** oauth_clients.id */
  id: string;
  clientId: string;
  kind: 'metadataDocument' | 'registered';
  name: string;
  redirectUris: string[];
}

const clientSelect = {
  id: true,
  clientId: true,
  kind: true,
  name: true,
  redirectUris: true,
  fetchedAt: true,
} as const;

/**
 * The client, or a ClientMetadataError saying why there is none. `fetch: false` (the public token
 * endpoint) never fetches a document: a client that got a code was stored when it was authorized,
 * so an anonymous caller cannot make the dashboard fetch URLs of its choosing.
 */
export async function resolveOAuthClient(
  db: Db,
  clientId: string,
  now = Date.now(),
  options: { fetch?: boolean } = {},
): Promise<OAuthClientView> {
  if (clientId.length > 2000) throw new ClientMetadataError('client_id is too long');
  const stored = await db.oAuthClient.findUnique({ where: { clientId }, select: clientSelect });
  if (!isMetadataDocumentClientId(clientId)) {
    if (!stored || stored.kind !== 'registered')
      throw new ClientMetadataError('Unknown client_id; register the client first');
    return stored;
  }
  if (stored && stored.fetchedAt && now - stored.fetchedAt.getTime() < METADATA_DOCUMENT_CACHE_MS)
    return stored;
  if (options.fetch === false) {
    if (!stored) throw new ClientMetadataError('Unknown client_id; authorize the client first');
    return stored;
  }
  const metadata = await fetchClientMetadataDocument(clientId, env().clientMetadataPrivateOrigins);
  return db.oAuthClient.upsert({
    where: { clientId },
    create: {
      clientId,
      kind: 'metadataDocument',
      name: metadata.name,
      redirectUris: metadata.redirectUris,
      fetchedAt: new Date(now),
    },
    update: { name: metadata.name, redirectUris: metadata.redirectUris, fetchedAt: new Date(now) },
    select: clientSelect,
  });
}

const registrationSchema = z.object({
  redirect_uris: z.array(z.string().max(2000)).min(1, 'redirect_uris must list at least one URI').max(20),
  client_name: z.string().trim().min(1).max(100).optional(),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token'])).optional(),
  response_types: z.array(z.literal('code')).optional(),
  token_endpoint_auth_method: z.string().optional(),
});

export class RegistrationError extends Error {
  constructor(
    readonly error: 'invalid_redirect_uri' | 'invalid_client_metadata',
    message: string,
  ) {
    super(message);
  }
}

/** RFC 7591 registration. Only public clients: token_endpoint_auth_method is always "none". */
export async function registerOAuthClient(db: Db, body: unknown): Promise<Record<string, unknown>> {
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RegistrationError(
      'invalid_client_metadata',
      `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const input = parsed.data;
  if (input.token_endpoint_auth_method && input.token_endpoint_auth_method !== 'none') {
    throw new RegistrationError(
      'invalid_client_metadata',
      'token_endpoint_auth_method must be "none": clients are public and use PKCE',
    );
  }
  for (const uri of input.redirect_uris) {
    try {
      checkRedirectUri(uri);
    } catch (error) {
      throw new RegistrationError('invalid_redirect_uri', (error as Error).message);
    }
  }
  const clientId = issueToken('oauthClient').token;
  const name = input.client_name ?? 'Unnamed MCP client';
  const created = await db.oAuthClient.create({
    data: { clientId, kind: 'registered', name, redirectUris: input.redirect_uris },
    select: { createdAt: true },
  });
  await pruneUnauthorizedRegistrations(db);
  return {
    client_id: clientId,
    client_id_issued_at: Math.floor(created.createdAt.getTime() / 1000),
    client_name: name,
    redirect_uris: input.redirect_uris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
