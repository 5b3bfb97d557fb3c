// Route handlers of the authorization server's public endpoints (CORS-open: browser-based MCP
// clients call them too; none of them reads cookies).
import { db } from '../../server/db';
import { handleRevocationRequest, handleTokenRequest } from './authorization-server';
import { registerOAuthClient, RegistrationError } from './oauth-clients';
import { authorizationServerMetadata } from './oauth-settings';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type, authorization, mcp-protocol-version',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
};
const MAX_BODY_BYTES = 16 * 1024;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...CORS, ...headers },
  });
}

export function corsPreflight(): Response {
  return new Response(null, { status: 204, headers: CORS });
}

export function metadataRoute(): Response {
  return json(200, authorizationServerMetadata(), { 'cache-control': 'public, max-age=300' });
}

async function boundedText(request: Request): Promise<string | undefined> {
  const text = await request.text();
  return Buffer.byteLength(text) > MAX_BODY_BYTES ? undefined : text;
}

/** The form endpoints (token, revocation): form-encoded, bounded, handed on with the request's headers. */
async function formRoute(
  request: Request,
  endpoint: string,
  handle: typeof handleTokenRequest,
): Promise<Response> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) {
    return json(400, {
      error: 'invalid_request',
      error_description: `The ${endpoint} endpoint takes application/x-www-form-urlencoded`,
    });
  }
  const text = await boundedText(request);
  if (text === undefined)
    return json(413, {
      error: 'invalid_request',
      error_description: `Body larger than ${MAX_BODY_BYTES} bytes`,
    });
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const answer = await handle(db(), new URLSearchParams(text), headers);
  return json(answer.status, answer.body, answer.headers);
}

export function tokenRoute(request: Request): Promise<Response> {
  return formRoute(request, 'token', handleTokenRequest);
}

/** RFC 7009 token revocation. */
export function revokeRoute(request: Request): Promise<Response> {
  return formRoute(request, 'revocation', handleRevocationRequest);
}

export async function registerRoute(request: Request): Promise<Response> {
  const text = await boundedText(request);
  if (text === undefined)
    return json(413, {
      error: 'invalid_client_metadata',
      error_description: `Body larger than ${MAX_BODY_BYTES} bytes`,
    });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: 'invalid_client_metadata', error_description: 'The body is not JSON' });
  }
  try {
    return json(201, await registerOAuthClient(db(), body), { 'cache-control': 'no-store' });
  } catch (error) {
    if (error instanceof RegistrationError)
      return json(400, { error: error.error, error_description: error.message });
    throw error;
  }
}
