// Client ID Metadata Documents (MCP authorization 2025-11-25): the client_id is an https URL whose
// JSON document names the client and its redirect URIs. Fetched with the gateway's private-address
// guard (packages/upstream), bounded in size and time, no redirects followed.
import { createNodeFetch } from '@portcullis/upstream/node-fetch';
import { z } from 'zod';

// The MCP authorization spec recommends 5 KB; real documents are a few hundred bytes.
export const METADATA_DOCUMENT_MAX_BYTES = 5 * 1024;
export const METADATA_DOCUMENT_TIMEOUT_MS = 5_000;

export class ClientMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientMetadataError';
  }
}

/** Whether a client_id is meant as a metadata document URL (anything starting with https://). */
export function isMetadataDocumentClientId(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/** The spec's shape rules: https, a path, no fragment, no credentials, no dot segments. */
export function checkMetadataDocumentUrl(clientId: string): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new ClientMetadataError('client_id is not a valid URL');
  }
  if (url.protocol !== 'https:') throw new ClientMetadataError('A client_id URL must use https');
  if (
    url.pathname === '/' ||
    url.hash ||
    url.username ||
    url.password ||
    /\/\.\.?(\/|$)/.test(clientId.replace(/[?#].*$/, ''))
  ) {
    throw new ClientMetadataError(
      'A client_id URL needs a path and no fragment, credentials or dot segments',
    );
  }
  return url;
}

const documentSchema = z.object({
  client_id: z.string(),
  client_name: z.string().trim().min(1).max(100).optional(),
  redirect_uris: z.array(z.string().url()).min(1).max(20),
  token_endpoint_auth_method: z.literal('none').optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
});

export interface ClientMetadata {
  name: string;
  redirectUris: string[];
}

const guardedFetch = createNodeFetch({
  allowPrivateNetworks: false,
  maxMessageBytes: METADATA_DOCUMENT_MAX_BYTES,
});
const privateFetch = createNodeFetch({
  allowPrivateNetworks: true,
  maxMessageBytes: METADATA_DOCUMENT_MAX_BYTES,
});

/**
 * Fetches and validates the document. `privateOrigins` are exact origins the operator allows
 * although they resolve to private addresses (OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS); every other
 * private, loopback or link-local address is refused.
 */
export async function fetchClientMetadataDocument(
  clientId: string,
  privateOrigins: readonly string[],
): Promise<ClientMetadata> {
  const url = checkMetadataDocumentUrl(clientId);
  const fetch = privateOrigins.includes(url.origin) ? privateFetch : guardedFetch;
  let text: string;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(METADATA_DOCUMENT_TIMEOUT_MS),
    });
    if (response.status !== 200)
      throw new ClientMetadataError(`The client's metadata document answered HTTP ${response.status}`);
    // The timeout covers the body too: a server that drips its answer is cut off like a silent one.
    text = await Promise.race([
      response.text(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new ClientMetadataError("The client's metadata document took too long")),
          METADATA_DOCUMENT_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
  } catch (error) {
    if (error instanceof ClientMetadataError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'EPRIVATE' || (error as Error).name === 'PrivateAddressError') {
      throw new ClientMetadataError(
        `The client's metadata document is on a private address; the operator can allow its exact origin with OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS`,
      );
    }
    throw new ClientMetadataError(
      `The client's metadata document could not be fetched (${code ?? (error as Error).name})`,
    );
  }
  if (Buffer.byteLength(text) > METADATA_DOCUMENT_MAX_BYTES)
    throw new ClientMetadataError(
      `The client's metadata document is larger than ${METADATA_DOCUMENT_MAX_BYTES} bytes`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ClientMetadataError("The client's metadata document is not JSON");
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success)
    throw new ClientMetadataError(
      `The client's metadata document is invalid: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    );
  if (parsed.data.client_id !== clientId)
    throw new ClientMetadataError("The client's metadata document names another client_id");
  for (const uri of parsed.data.redirect_uris) checkRedirectUri(uri);
  return { name: parsed.data.client_name ?? url.host, redirectUris: parsed.data.redirect_uris };
}

/**
 * Redirect URIs a client may register: https, http on a loopback host (native apps, RFC 8252), or a
 * private-use scheme such as cursor:// or vscode://. Never javascript:, data:, file: or plain http elsewhere.
 */
export function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ClientMetadataError(`Redirect URI ${uri} is not a valid URL`);
  }
  if (url.hash) throw new ClientMetadataError(`Redirect URI ${uri} must not have a fragment`);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return;
    throw new ClientMetadataError(`Redirect URI ${uri} uses http on a non-loopback host; use https`);
  }
  if (
    ['javascript:', 'data:', 'file:', 'blob:', 'about:', 'vbscript:', 'ftp:', 'ws:', 'wss:'].includes(
      url.protocol,
    )
  ) {
    throw new ClientMetadataError(`Redirect URI ${uri} uses a scheme that cannot be a redirect`);
  }
}
