// Connected upstream accounts (docs/upstream-oauth.md): the stored, sealed tokens of one server and
// subject ("shared", or a user id on per-user servers), handed out decrypted to server-side code only
// (the gateway's upstream requests, the dashboard's sync), and refreshed before expiry or after the
// upstream refused the token.
//
// A refresh happens once across every replica: it runs in a transaction that locks the connection's
// row (SELECT … FOR UPDATE). Whoever takes the lock second finds the row already changed and uses
// the new token instead of spending the refresh token again (an authorization server that rotates
// refresh tokens would take a second use for theft and revoke the grant). Within one process, calls
// that need the same refresh share one promise. A refresh the authorization server refuses
// (invalid_grant) marks the connection needs_reconnect, with an admin event; a network failure leaves
// it as it was (the next call tries again).
import {
  decryptSecret,
  encryptSecret,
  upstreamClientSecretContext,
  upstreamTokenContext,
} from '@portcullis/crypto/secret-box';
import type { Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import type { OAuthFetchOptions } from '@portcullis/upstream/oauth-fetch';
import {
  refreshTokens,
  UpstreamGrantRejectedError,
  type IssuedTokens,
  type UpstreamOAuthClient,
} from '@portcullis/upstream/oauth-tokens';

export const SHARED_SUBJECT = 'shared';

/** Refresh this long before the access token expires, so no call goes out with one about to lapse. */
export const REFRESH_AHEAD_MS = 60_000;

export type ConnectionMode = 'shared' | 'per_user';

/** Whose account a call uses: the shared one, or (per user) the acting user's; null when there is no user to act as. */
export function connectionSubject(mode: ConnectionMode, actingUserId: string | null): string | null {
  return mode === 'shared' ? SHARED_SUBJECT : actingUserId;
}

export type TokenLookup =
  | { ok: true; connectionId: string; accessToken: string; expiresAt: Date | null }
  | { ok: false; reason: 'not_connected' | 'needs_reconnect' | 'no_user' };

/** A stored connection as the token steps read it (tokens still sealed). */
export interface ConnectionRow {
  id: string;
  organizationId: string;
  serverId: string;
  subject: string;
  status: 'active' | 'needs_reconnect';
  accessTokenEnc: string;
  refreshTokenEnc: string | null;
  accessExpiresAt: Date | null;
}

export interface UpstreamTokenOptions {
  encryptionKey: Buffer;
  fetch: OAuthFetchOptions;
  /** Who to name in the admin event when a refresh is refused ("gateway", "dashboard"). */
  actorLabel: string;
}

export class UpstreamTokens {
  private readonly refreshing = new Map<string, Promise<TokenLookup>>();

  constructor(
    private readonly db: Db,
    private readonly options: UpstreamTokenOptions,
  ) {}

  /**
   * A usable access token for (server, subject): the stored one while it is not about to expire,
   * else a refreshed one. `rejected` is a token the upstream just refused (HTTP 401): it is refreshed
   * unless another caller already replaced it. Throws only when the stores or the authorization
   * server cannot be reached (the caller refuses the call; nothing is marked).
   */
  async token(
    organizationId: string,
    serverId: string,
    subject: string | null,
    rejected?: string,
  ): Promise<TokenLookup> {
    if (subject === null) return { ok: false, reason: 'no_user' };
    const row = await this.db.upstreamConnection.findUnique({
      where: { serverId_subject: { serverId, subject } },
      select: ROW_SELECT,
    });
    if (!row || row.organizationId !== organizationId) return { ok: false, reason: 'not_connected' };
    if (row.status !== 'active') return { ok: false, reason: 'needs_reconnect' };
    const accessToken = this.open(row, 'access', row.accessTokenEnc);
    const expiring =
      row.accessExpiresAt !== null && row.accessExpiresAt.getTime() - Date.now() < REFRESH_AHEAD_MS;
    if (!expiring && accessToken !== rejected)
      return { ok: true, connectionId: row.id, accessToken, expiresAt: row.accessExpiresAt };
    let shared = this.refreshing.get(row.id);
    if (!shared) {
      shared = this.refreshUnderLock(row).finally(() => this.refreshing.delete(row.id));
      this.refreshing.set(row.id, shared);
    }
    return shared;
  }

  /** Seals and stores tokens for (server, subject), replacing what was there (a new connect). */
  async save(
    input: { organizationId: string; serverId: string; subject: string; connectedById: string },
    tokens: IssuedTokens,
  ): Promise<string> {
    const { organizationId, serverId, subject } = input;
    const sealed = this.seal(input, tokens);
    const row = await this.db.upstreamConnection.upsert({
      where: { serverId_subject: { serverId, subject } },
      create: {
        organizationId,
        serverId,
        subject,
        userId: subject === SHARED_SUBJECT ? null : subject,
        connectedById: input.connectedById,
        ...sealed,
      },
      update: {
        ...sealed,
        connectedById: input.connectedById,
        status: 'active',
        lastError: null,
        refreshedAt: null,
        reconnectNotifiedAt: null,
      },
      select: { id: true },
    });
    await notifyChange(this.db, { type: 'connection', organizationId, serverId, subject });
    return row.id;
  }

  /** The decrypted tokens of a connection, for revocation at the upstream before it is deleted. */
  tokensOf(row: ConnectionRow): { accessToken: string; refreshToken: string | null } {
    return {
      accessToken: this.open(row, 'access', row.accessTokenEnc),
      refreshToken: row.refreshTokenEnc ? this.open(row, 'refresh', row.refreshTokenEnc) : null,
    };
  }

  /** The stored sign-in configuration of a server, with its client secret opened. */
  async client(organizationId: string, serverId: string): Promise<UpstreamOAuthClient | null> {
    const config = await this.db.upstreamOAuthConfig.findUnique({ where: { serverId } });
    if (!config || config.organizationId !== organizationId) return null;
    return {
      issuer: config.issuer,
      authorizationEndpoint: config.authorizationEndpoint,
      tokenEndpoint: config.tokenEndpoint,
      revocationEndpoint: config.revocationEndpoint,
      resource: config.resource,
      scopes: config.scopes,
      clientId: config.clientId,
      clientSecret: config.clientSecretEnc
        ? decryptSecret(
            this.options.encryptionKey,
            config.clientSecretEnc,
            upstreamClientSecretContext(organizationId, serverId),
          )
        : null,
      tokenEndpointAuthMethod: config.tokenEndpointAuthMethod,
    };
  }

  private async refreshUnderLock(seen: ConnectionRow): Promise<TokenLookup> {
    const client = await this.client(seen.organizationId, seen.serverId);
    if (!client) return { ok: false, reason: 'not_connected' };
    let refused: string | null = null;
    const outcome = await this.db.$transaction(
      async (tx): Promise<TokenLookup> => {
        const locked = await tx.$queryRaw<ConnectionRow[]>`
          SELECT id, "organizationId", "serverId", subject, status, "accessTokenEnc", "refreshTokenEnc", "accessExpiresAt"
          FROM upstream_connections WHERE id = ${seen.id} FOR UPDATE`;
        const row = locked[0];
        if (!row) return { ok: false, reason: 'not_connected' };
        if (row.status !== 'active') return { ok: false, reason: 'needs_reconnect' };
        if (row.accessTokenEnc !== seen.accessTokenEnc) {
          // Another caller (maybe another replica) refreshed while we waited for the lock.
          return {
            ok: true,
            connectionId: row.id,
            accessToken: this.open(row, 'access', row.accessTokenEnc),
            expiresAt: row.accessExpiresAt,
          };
        }
        if (!row.refreshTokenEnc) {
          refused = 'The access token expired and the authorization server gave no refresh token';
        } else {
          try {
            const issued = await refreshTokens(
              client,
              this.open(row, 'refresh', row.refreshTokenEnc),
              this.options.fetch,
            );
            await tx.upstreamConnection.update({
              where: { id: row.id },
              data: { ...this.seal(row, issued), refreshedAt: new Date(), lastError: null },
            });
            return {
              ok: true,
              connectionId: row.id,
              accessToken: issued.accessToken,
              expiresAt: issued.expiresAt,
            };
          } catch (error) {
            if (!(error instanceof UpstreamGrantRejectedError)) throw error;
            refused = error.message;
          }
        }
        await tx.upstreamConnection.update({
          where: { id: row.id },
          data: { status: 'needs_reconnect', lastError: refused },
        });
        await tx.adminEvent.create({
          data: {
            organizationId: row.organizationId,
            actorLabel: this.options.actorLabel,
            action: 'connection.needs_reconnect',
            targetType: 'server',
            targetId: row.serverId,
            details: {
              subject: row.subject === SHARED_SUBJECT ? 'shared' : 'user',
              userId: row.subject === SHARED_SUBJECT ? null : row.subject,
              reason: refused,
            },
          },
        });
        return { ok: false, reason: 'needs_reconnect' };
      },
      // The refresh is one bounded request (10 s, oauth-fetch.ts); waiting for another replica's lock too.
      { maxWait: 15_000, timeout: 30_000 },
    );
    if (refused !== null)
      await notifyChange(this.db, {
        type: 'connection',
        organizationId: seen.organizationId,
        serverId: seen.serverId,
        subject: seen.subject,
      }).catch(() => undefined);
    return outcome;
  }

  private seal(
    row: { organizationId: string; serverId: string; subject: string },
    tokens: IssuedTokens,
  ): Pick<ConnectionRow, 'accessTokenEnc' | 'refreshTokenEnc' | 'accessExpiresAt'> & { scopes: string[] } {
    const context = (field: 'access' | 'refresh') =>
      upstreamTokenContext(row.organizationId, row.serverId, row.subject, field);
    return {
      accessTokenEnc: encryptSecret(this.options.encryptionKey, tokens.accessToken, context('access')),
      refreshTokenEnc: tokens.refreshToken
        ? encryptSecret(this.options.encryptionKey, tokens.refreshToken, context('refresh'))
        : null,
      accessExpiresAt: tokens.expiresAt,
      scopes: tokens.scopes,
    };
  }

  private open(row: ConnectionRow, field: 'access' | 'refresh', sealed: string): string {
    return decryptSecret(
      this.options.encryptionKey,
      sealed,
      upstreamTokenContext(row.organizationId, row.serverId, row.subject, field),
    );
  }
}

const ROW_SELECT = {
  id: true,
  organizationId: true,
  serverId: true,
  subject: true,
  status: true,
  accessTokenEnc: true,
  refreshTokenEnc: true,
  accessExpiresAt: true,
} as const;
