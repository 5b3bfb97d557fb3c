// The gateway as an OAuth resource server (MCP authorization 2025-11-25, RFC 9728, RFC 8707).
// Each grant URL /mcp/<serverId> is a protected resource: its metadata names the dashboard as the
// authorization server, a request without credentials is told where that metadata is, and an access
// token counts only for the exact resource it was issued for. Tokens are opaque (packages/crypto)
// and looked up by hash; the grant they are bound to supplies policy, limits, approvals and audit.
import type { Db } from '@portcullis/db/client';
import { hashToken, looksLikeToken, tokenMatchesHash } from '@portcullis/crypto/tokens';
import type { GrantContext } from '../state/grant-cache.ts';

export const METADATA_PREFIX = '/.well-known/oauth-protected-resource';
const METADATA_PATH = /^\/\.well-known\/oauth-protected-resource\/mcp\/([A-Za-z0-9_-]{1,64})\/?$/;

/** The canonical resource indicator of a grant URL (no trailing slash). */
export function resourceFor(publicUrl: string, serverId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/mcp/${serverId}`;
}

export function metadataUrlFor(publicUrl: string, serverId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${METADATA_PREFIX}/mcp/${serverId}`;
}

/** `WWW-Authenticate` for a grant URL: where the client finds how to get a token. */
export function bearerChallenge(publicUrl: string, serverId: string, error?: 'invalid_token'): string {
  return `Bearer realm="portcullis", resource_metadata="${metadataUrlFor(publicUrl, serverId)}"${error ? `, error="${error}"` : ''}`;
}

/**
 * Protected-resource metadata for a path under /.well-known/oauth-protected-resource (path insertion:
 * the grant URL's path follows the well-known prefix; a trailing slash names the same resource).
 * Undefined when the path names no grant URL.
 */
export function protectedResourceMetadata(
  publicUrl: string,
  issuer: string,
  path: string,
): Record<string, unknown> | undefined {
  const match = METADATA_PATH.exec(path);
  if (!match?.[1]) return undefined;
  return {
    resource: resourceFor(publicUrl, match[1]),
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    resource_name: 'Portcullis MCP gateway',
  };
}

export function isOAuthAccessToken(token: string): boolean {
  return looksLikeToken('oauthAccess', token);
}

export type AccessTokenLookup =
  | { ok: true; grant: GrantContext; resource: string }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

interface CachedRow {
  row:
    | {
        hash: string;
        resource: string;
        revokedAt: Date | null;
        accessExpiresAt: Date;
        grant: GrantContext & { revokedAt: Date | null; expiresAt: Date | null; serverDeleted: boolean };
      }
    | undefined;
  loadedAt: number;
}

const MAX_ENTRIES = 10_000;
const LAST_USED_THROTTLE_MS = 60_000;

/** Access-token lookups, cached for at most `ttlMs` (a revocation takes effect within it). */
export class OAuthAccessTokens {
  private readonly byHash = new Map<string, CachedRow>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  async authenticate(token: string): Promise<AccessTokenLookup> {
    const hash = hashToken(token);
    const now = Date.now();
    let entry = this.byHash.get(hash);
    if (!entry || now - entry.loadedAt > this.ttlMs) {
      entry = { row: await this.load(hash), loadedAt: now };
      if (this.byHash.size >= MAX_ENTRIES) this.byHash.clear();
      this.byHash.set(hash, entry);
    }
    const row = entry.row;
    if (!row || row.grant.serverDeleted || !tokenMatchesHash(token, row.hash))
      return { ok: false, reason: 'unknown' };
    if (row.revokedAt || row.grant.revokedAt) return { ok: false, reason: 'revoked' };
    if (row.accessExpiresAt.getTime() <= now || (row.grant.expiresAt && row.grant.expiresAt.getTime() <= now))
      return { ok: false, reason: 'expired' };
    const { grantId, organizationId, serverId, toolsetId, actingUserId } = row.grant;
    this.touch(grantId, now);
    return {
      ok: true,
      grant: { grantId, organizationId, serverId, toolsetId, actingUserId },
      resource: row.resource,
    };
  }

  /** The grant's lastUsedAt, as for grant tokens: informational, at most once a minute, never awaited. */
  private touch(grantId: string, now: number): void {
    if (now - (this.lastUsedWritten.get(grantId) ?? 0) < LAST_USED_THROTTLE_MS) return;
    if (this.lastUsedWritten.size >= MAX_ENTRIES) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(grantId, now);
    this.db.grant
      .update({ where: { id: grantId }, data: { lastUsedAt: new Date(now) } })
      .catch(() => this.lastUsedWritten.delete(grantId));
  }

  private async load(hash: string): Promise<CachedRow['row']> {
    const token = await this.db.oAuthToken.findUnique({
      where: { accessTokenHash: hash },
      select: {
        resource: true,
        revokedAt: true,
        accessExpiresAt: true,
        userId: true,
        grant: {
          select: {
            id: true,
            organizationId: true,
            serverId: true,
            toolsetId: true,
            revokedAt: true,
            expiresAt: true,
            server: { select: { deletedAt: true } },
            toolset: { select: { deletedAt: true } },
          },
        },
      },
    });
    if (!token) return undefined;
    const g = token.grant;
    return {
      hash,
      resource: token.resource,
      revokedAt: token.revokedAt,
      accessExpiresAt: token.accessExpiresAt,
      grant: {
        grantId: g.id,
        organizationId: g.organizationId,
        serverId: g.serverId,
        toolsetId: g.toolsetId,
        actingUserId: token.userId,
        revokedAt: g.revokedAt,
        expiresAt: g.expiresAt,
        serverDeleted: (g.server ?? g.toolset)?.deletedAt !== null,
      },
    };
  }

  /** A grant change (e.g. revocation) drops its tokens from the cache at once. */
  invalidateGrant(grantId: string): void {
    for (const [hash, entry] of this.byHash)
      if (entry.row?.grant.grantId === grantId) this.byHash.delete(hash);
  }
}
