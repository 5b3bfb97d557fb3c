// The storage callbacks @node-oauth/oauth2-server calls. Codes and tokens are opaque random values
// from packages/crypto; only their SHA-256 hashes are stored. One model per request, so that the
// request's RFC 8707 `resource` can be compared with what the code or refresh token is bound to.
import { randomUUID } from 'node:crypto';
import type { Db } from '@portcullis/db/client';
import { hashToken, issueToken } from '@portcullis/crypto/tokens';
import OAuth2Server from '@node-oauth/oauth2-server';
import { ClientMetadataError } from './client-metadata-document';
import { resolveOAuthClient } from './oauth-clients';
import { parseGatewayResource } from './oauth-settings';

/** What a code or token is bound to; the library carries it as its opaque "user". */
export interface OAuthBinding {
  userId: string;
  grantId: string;
  resource: string;
  /** The refresh-token family (unset until the code is exchanged). */
  familyId?: string;
  /** The authorization code the family came from. */
  codeId?: string;
}

export class InvalidTargetError extends OAuth2Server.OAuthError {
  constructor(message: string) {
    super(message, { code: 400, name: 'invalid_target' });
  }
}

type Model = OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel;

/**
 * `requestedResource`: the token request's `resource` parameter, when it sent one.
 * `fetchMetadataDocuments`: false at the token endpoint (see resolveOAuthClient).
 */
export function createOAuthModel(db: Db, requestedResource?: string, fetchMetadataDocuments = true): Model {
  const checkResource = (bound: string) => {
    if (requestedResource === undefined) return;
    const parsed = parseGatewayResource(requestedResource);
    if (!parsed || parsed.resource !== bound)
      throw new InvalidTargetError(
        'Invalid target: `resource` is not the resource this grant was issued for',
      );
  };
  const revokeFamily = (familyId: string) =>
    db.oAuthToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });

  return {
    async getClient(clientId) {
      try {
        const client = await resolveOAuthClient(db, clientId, Date.now(), { fetch: fetchMetadataDocuments });
        return {
          id: client.clientId,
          dbId: client.id,
          name: client.name,
          redirectUris: client.redirectUris,
          grants: ['authorization_code', 'refresh_token'],
        };
      } catch (error) {
        if (error instanceof ClientMetadataError) return false;
        throw error;
      }
    },

    generateAuthorizationCode: async () => issueToken('oauthCode').token,
    generateAccessToken: async () => issueToken('oauthAccess').token,
    generateRefreshToken: async () => issueToken('oauthRefresh').token,

    async saveAuthorizationCode(code, client, user) {
      const binding = user as OAuthBinding;
      if (!code.codeChallenge || code.codeChallengeMethod !== 'S256') return false;
      await db.oAuthAuthorizationCode.create({
        data: {
          codeHash: hashToken(code.authorizationCode),
          clientId: client.dbId as string,
          grantId: binding.grantId,
          userId: binding.userId,
          redirectUri: code.redirectUri,
          codeChallenge: code.codeChallenge,
          resource: binding.resource,
          expiresAt: code.expiresAt,
        },
      });
      return { ...code, client, user };
    },

    async getAuthorizationCode(authorizationCode) {
      const row = await db.oAuthAuthorizationCode.findUnique({
        where: { codeHash: hashToken(authorizationCode) },
        include: { client: true, grant: { select: { revokedAt: true } } },
      });
      if (!row) return false;
      if (row.usedAt) {
        // A replayed code: whoever holds it may have stolen it, so its tokens go too (RFC 6749 4.1.2).
        if (row.familyId) await revokeFamily(row.familyId);
        return false;
      }
      if (row.grant.revokedAt) return false;
      checkResource(row.resource);
      const user: OAuthBinding = {
        userId: row.userId,
        grantId: row.grantId,
        resource: row.resource,
        codeId: row.id,
      };
      return {
        authorizationCode,
        expiresAt: row.expiresAt,
        redirectUri: row.redirectUri,
        codeChallenge: row.codeChallenge,
        codeChallengeMethod: 'S256',
        client: {
          id: row.client.clientId,
          dbId: row.client.id,
          grants: ['authorization_code', 'refresh_token'],
        },
        user,
      };
    },

    async revokeAuthorizationCode(code) {
      const binding = code.user as OAuthBinding;
      const used = await db.oAuthAuthorizationCode.updateMany({
        where: { id: binding.codeId, usedAt: null },
        data: { usedAt: new Date() },
      });
      return used.count === 1;
    },

    async saveToken(token, client, user) {
      const binding = user as OAuthBinding;
      const familyId = binding.familyId ?? randomUUID();
      await db.$transaction(async (tx) => {
        await tx.oAuthToken.create({
          data: {
            familyId,
            clientId: client.dbId as string,
            grantId: binding.grantId,
            userId: binding.userId,
            resource: binding.resource,
            accessTokenHash: hashToken(token.accessToken),
            accessExpiresAt: token.accessTokenExpiresAt ?? new Date(),
            refreshTokenHash: token.refreshToken ? hashToken(token.refreshToken) : null,
            refreshExpiresAt: token.refreshTokenExpiresAt ?? null,
          },
        });
        if (binding.codeId && !binding.familyId)
          await tx.oAuthAuthorizationCode.update({ where: { id: binding.codeId }, data: { familyId } });
      });
      return { ...token, client, user: { ...binding, familyId } };
    },

    async getRefreshToken(refreshToken) {
      const row = await db.oAuthToken.findUnique({
        where: { refreshTokenHash: hashToken(refreshToken) },
        include: { client: true, grant: { select: { revokedAt: true, expiresAt: true } } },
      });
      if (!row) return false;
      if (row.rotatedAt) {
        // Reuse after rotation: the old token leaked or the client is confused; end the whole family.
        await revokeFamily(row.familyId);
        return false;
      }
      if (row.revokedAt || row.grant.revokedAt || (row.grant.expiresAt && row.grant.expiresAt <= new Date()))
        return false;
      checkResource(row.resource);
      const user: OAuthBinding = {
        userId: row.userId,
        grantId: row.grantId,
        resource: row.resource,
        familyId: row.familyId,
      };
      return {
        refreshToken,
        refreshTokenExpiresAt: row.refreshExpiresAt ?? undefined,
        client: {
          id: row.client.clientId,
          dbId: row.client.id,
          grants: ['authorization_code', 'refresh_token'],
        },
        user,
      };
    },

    async revokeToken(token) {
      // Rotation: the presented refresh token is spent; its access token stays valid until it expires.
      const spent = await db.oAuthToken.updateMany({
        where: { refreshTokenHash: hashToken(token.refreshToken), rotatedAt: null, revokedAt: null },
        data: { rotatedAt: new Date() },
      });
      return spent.count === 1;
    },

    // Access tokens are checked by the gateway (apps/gateway/src/http/oauth-resource.ts), never here.
    getAccessToken: async () => false,
  };
}
