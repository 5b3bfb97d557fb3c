// Grant lookup for every request: by token hash (unique index), then a constant-time comparison.
// Cached for at most a second; a grant change event drops the entry at once, so a revocation
// takes effect on the next call.
import type { Db } from '@portcullis/db/client';
import { hashToken, tokenMatchesHash } from '@portcullis/crypto/tokens';

export interface GrantContext {
  grantId: string;
  organizationId: string;
  /** The server a plain grant fronts; null for a toolset grant (docs/toolsets.md). */
  serverId: string | null;
  /** The toolset a toolset grant fronts; null for a server grant. */
  toolsetId: string | null;
  /**
   * The person the grant acts as on per-user sign-in servers: its creator (grant token) or the user
   * who approved the client's OAuth consent (OAuth access token); null when there is none.
   */
  actingUserId: string | null;
}

/** What a grant's URL path names: its server's id, or its toolset's. */
export function grantTarget(grant: Pick<GrantContext, 'serverId' | 'toolsetId'>): string {
  return grant.serverId ?? grant.toolsetId ?? '';
}

export type GrantStatus = 'active' | 'revoked' | 'expired' | 'unknown';

export type GrantLookup =
  { ok: true; grant: GrantContext } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

interface CacheEntry {
  hash: string;
  grantId: string | undefined;
  /** Cached answer, re-checked against expiresAt on every use. */
  row:
    | {
        organizationId: string;
        serverId: string | null;
        toolsetId: string | null;
        createdById: string | null;
        revokedAt: Date | null;
        expiresAt: Date | null;
        /** Its server or toolset was deleted. */
        targetDeleted: boolean;
      }
    | undefined;
  loadedAt: number;
}

const MAX_ENTRIES = 10_000;
const LAST_USED_THROTTLE_MS = 60_000;

export class GrantCache {
  private readonly byHash = new Map<string, CacheEntry>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  async authenticate(token: string): Promise<GrantLookup> {
    const hash = hashToken(token);
    const now = Date.now();
    let entry = this.byHash.get(hash);
    if (!entry || now - entry.loadedAt > this.ttlMs) {
      entry = await this.load(hash);
      if (this.byHash.size >= MAX_ENTRIES) this.byHash.clear();
      this.byHash.set(hash, entry);
    }
    const row = entry.row;
    if (!row || !entry.grantId || row.targetDeleted || !tokenMatchesHash(token, entry.hash))
      return { ok: false, reason: 'unknown' };
    if (row.revokedAt) return { ok: false, reason: 'revoked' };
    if (row.expiresAt && row.expiresAt.getTime() <= now) return { ok: false, reason: 'expired' };
    this.touch(entry.grantId, now);
    return {
      ok: true,
      grant: {
        grantId: entry.grantId,
        organizationId: row.organizationId,
        serverId: row.serverId,
        toolsetId: row.toolsetId,
        actingUserId: row.createdById,
      },
    };
  }

  /** The grant as stored now, bypassing the cache (for calls that waited, e.g. for an approval). */
  async status(grantId: string): Promise<GrantStatus> {
    const grant = await this.db.grant.findUnique({
      where: { id: grantId },
      select: {
        revokedAt: true,
        expiresAt: true,
        server: { select: { deletedAt: true } },
        toolset: { select: { deletedAt: true } },
      },
    });
    if (!grant || (grant.server ?? grant.toolset)?.deletedAt !== null) return 'unknown';
    if (grant.revokedAt) return 'revoked';
    if (grant.expiresAt && grant.expiresAt.getTime() <= Date.now()) return 'expired';
    return 'active';
  }

  private async load(hash: string): Promise<CacheEntry> {
    const grant = await this.db.grant.findUnique({
      where: { tokenHash: hash },
      select: {
        id: true,
        organizationId: true,
        serverId: true,
        toolsetId: true,
        createdById: true,
        revokedAt: true,
        expiresAt: true,
        server: { select: { deletedAt: true } },
        toolset: { select: { deletedAt: true } },
      },
    });
    return {
      hash,
      grantId: grant?.id,
      row: grant
        ? {
            organizationId: grant.organizationId,
            serverId: grant.serverId,
            toolsetId: grant.toolsetId,
            createdById: grant.createdById,
            revokedAt: grant.revokedAt,
            expiresAt: grant.expiresAt,
            // (A grant always has its target: the CHECK grants_one_target and cascading deletes.)
            targetDeleted: (grant.server ?? grant.toolset)?.deletedAt !== null,
          }
        : undefined,
      loadedAt: Date.now(),
    };
  }

  /** lastUsedAt is informational: written at most once a minute per grant, never awaited. */
  private touch(grantId: string, now: number): void {
    const last = this.lastUsedWritten.get(grantId) ?? 0;
    if (now - last < LAST_USED_THROTTLE_MS) return;
    this.lastUsedWritten.set(grantId, now);
    this.db.grant
      .update({ where: { id: grantId }, data: { lastUsedAt: new Date(now) } })
      .catch(() => this.lastUsedWritten.delete(grantId));
  }

  invalidateGrant(grantId: string): void {
    for (const [hash, entry] of this.byHash) if (entry.grantId === grantId) this.byHash.delete(hash);
  }

  invalidateServer(serverId: string): void {
    for (const [hash, entry] of this.byHash) if (entry.row?.serverId === serverId) this.byHash.delete(hash);
  }

  invalidateToolset(toolsetId: string): void {
    for (const [hash, entry] of this.byHash) if (entry.row?.toolsetId === toolsetId) this.byHash.delete(hash);
  }

  /** Unknown tokens are cached too (bounded map), but a new grant must work at once: drop those. */
  invalidateUnknown(): void {
    for (const [hash, entry] of this.byHash) if (!entry.grantId) this.byHash.delete(hash);
  }
}
