// The authorization code + PKCE flow of the dashboard's authorization server, as a test runs it:
// a registered client, the user's consent and the code exchange, ending with the client's tokens.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { db } from './helpers.ts';
import {
  handleTokenRequest,
  validateAuthorizationRequest,
} from '../src/modules/oauth/authorization-server.ts';
import { approveConsent } from '../src/modules/oauth/consent.ts';
import { registerOAuthClient } from '../src/modules/oauth/oauth-clients.ts';

export const TEST_REDIRECT = 'http://127.0.0.1:33418/callback';
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

export const tokenRequest = (body: Record<string, string>) =>
  handleTokenRequest(db, new URLSearchParams(body), FORM_HEADERS);

/** A new client named `name`, authorized by `userId` for `resource` on `grant` ('new' makes one). */
export async function authorizeClient(userId: string, name: string, resource: string, grant = 'new') {
  const clientId = (await registerOAuthClient(db, { client_name: name, redirect_uris: [TEST_REDIRECT] }))
    .client_id as string;
  const verifier = randomBytes(32).toString('base64url');
  const result = await validateAuthorizationRequest(db, {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: TEST_REDIRECT,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
  });
  if (!result.ok) throw new Error(result.refusal.description);
  const location = new URL(await approveConsent(db, userId, result.request, grant, name));
  const answer = await tokenRequest({
    grant_type: 'authorization_code',
    client_id: clientId,
    code: location.searchParams.get('code')!,
    redirect_uri: TEST_REDIRECT,
    code_verifier: verifier,
    resource,
  });
  expect(answer.status).toBe(200);
  return { clientId, access: String(answer.body.access_token), refresh: String(answer.body.refresh_token) };
}
