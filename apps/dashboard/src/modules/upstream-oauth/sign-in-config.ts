// Storing how Portcullis signs in to a server that asked for OAuth at registration: discovery is
// re-run on the server (the browser's summary is never trusted), the client is registered by the
// issue's order (the tenant's app, our metadata document, dynamic registration) and the client
// secret, if any, is sealed bound to organization and server.
import type { Db } from '@portcullis/db/client';
import {
  encryptSecret,
  parseEncryptionKey,
  upstreamClientSecretContext,
} from '@portcullis/crypto/secret-box';
import { chooseRegistrationMethod, type UpstreamOAuthDiscovery } from '@portcullis/upstream/oauth-discovery';
import { registerDynamicClient } from '@portcullis/upstream/oauth-client';
import { env } from '../../env';
import { assertRole, type OrgContext } from '../../server/context';
import { ValidationError } from '../../server/errors';
import { recordAdminEvent } from '../trail/record';
import { upstreamCallbackUrl, upstreamClientId } from './client-document';
import { oauthFetchOptions } from './discovery';

export interface SignInInput {
  connectionMode: 'shared' | 'per_user';
  /** A client the tenant registered at the authorization server (optional). */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}

export interface RegisteredClient {
  registration: 'pre_registered' | 'metadata_document' | 'dynamic';
  clientId: string;
  clientSecret: string | null;
  tokenEndpointAuthMethod: string;
}

/** Registers Portcullis as a client (network only, no writes), so a refusal stops registration cleanly. */
export async function registerUpstreamClient(
  discovery: UpstreamOAuthDiscovery,
  input: SignInInput,
): Promise<RegisteredClient> {
  const method = chooseRegistrationMethod(discovery, Boolean(input.clientId));
  if (method === 'pre_registered') {
    const secret = input.clientSecret || null;
    return {
      registration: method,
      clientId: input.clientId!,
      clientSecret: secret,
      tokenEndpointAuthMethod: secret
        ? discovery.tokenEndpointAuthMethods.includes('client_secret_basic')
          ? 'client_secret_basic'
          : 'client_secret_post'
        : 'none',
    };
  }
  if (method === 'metadata_document')
    return {
      registration: method,
      clientId: upstreamClientId(),
      clientSecret: null,
      tokenEndpointAuthMethod: 'none',
    };
  if (method === 'dynamic') {
    let registered;
    try {
      registered = await registerDynamicClient(
        discovery,
        { name: 'Portcullis', redirectUri: upstreamCallbackUrl() },
        oauthFetchOptions(),
      );
    } catch {
      throw new ValidationError(
        'The authorization server refused dynamic client registration; register an app there and enter its client id',
        'clientId',
      );
    }
    return {
      registration: method,
      clientId: registered.clientId,
      clientSecret: registered.clientSecret,
      tokenEndpointAuthMethod: registered.clientSecret ? 'client_secret_post' : 'none',
    };
  }
  throw new ValidationError(
    'The authorization server offers neither client metadata documents nor dynamic registration; register an app there and enter its client id',
    'clientId',
  );
}

/** Saves (or replaces) a server's sign-in configuration. */
export async function configureServerSignIn(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  discovery: UpstreamOAuthDiscovery,
  client: RegisteredClient,
  connectionMode: SignInInput['connectionMode'],
): Promise<void> {
  assertRole(ctx, 'editor');
  const key = parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
  const data = {
    organizationId: ctx.organizationId,
    connectionMode,
    registration: client.registration,
    resource: discovery.resource,
    issuer: discovery.issuer,
    authorizationEndpoint: discovery.authorizationEndpoint,
    tokenEndpoint: discovery.tokenEndpoint,
    registrationEndpoint: discovery.registrationEndpoint,
    revocationEndpoint: discovery.revocationEndpoint,
    scopes: discovery.scopes,
    clientId: client.clientId,
    clientSecretEnc: client.clientSecret
      ? encryptSecret(key, client.clientSecret, upstreamClientSecretContext(ctx.organizationId, serverId))
      : null,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    discoveredAt: new Date(),
  };
  await db.$transaction(async (tx) => {
    const server = await tx.mcpServer.findFirst({
      where: { id: serverId, organizationId: ctx.organizationId, deletedAt: null },
      select: { id: true },
    });
    if (!server) throw new ValidationError('No such server', 'serverId');
    await tx.upstreamOAuthConfig.upsert({ where: { serverId }, create: { serverId, ...data }, update: data });
    await recordAdminEvent(
      tx,
      ctx,
      'server.oauth_configure',
      { type: 'server', id: serverId },
      {
        issuer: discovery.issuer,
        registration: client.registration,
        connectionMode,
        scopes: discovery.scopes,
      },
    );
  });
}
