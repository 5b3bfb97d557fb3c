// Sessions as every replica sees them: rows of gateway_sessions. A session is counted against its
// grant's limit across replicas, kept alive by its replica's heartbeat, and found by a replica it
// did not start on (a load balancer without affinity) so that replica can resume it.
import type { InitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Prisma } from '@portcullis/db/types';
import { storableJson, storableText } from '../audit/storable-text.ts';
import type { GatewayServices } from '../services.ts';
import { SessionLimitError } from './grant-slots.ts';
import { grantTarget, type GrantContext } from '../state/grant-cache.ts';

export class SessionStore {
  constructor(
    private readonly services: GatewayServices,
    /** How often live sessions are touched; a session unseen for the idle timeout plus this stops counting. */
    private readonly heartbeatMs: number,
  ) {}

  /**
   * Records a new session, counting the grant's open sessions on every replica first: under a
   * per-grant advisory lock, so two replicas admitting at once cannot both take the last slot.
   * Open = not closed and seen within the idle timeout (each replica refreshes lastSeenAt of its
   * live sessions, so sessions of a replica that died stop counting once they would have expired).
   * Returns false when the store could not be reached: the session then only counts on this replica.
   */
  async record(
    id: string,
    grant: GrantContext,
    initialize: InitializeRequest,
    limitError: () => SessionLimitError,
  ): Promise<boolean> {
    const { db, config } = this.services;
    const cutoff = new Date(Date.now() - config.sessionIdleMs - this.heartbeatMs);
    try {
      await db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`session-limit:${grant.grantId}`}, 0))`;
        const open = await tx.gatewaySession.count({
          where: { grantId: grant.grantId, closedAt: null, lastSeenAt: { gt: cutoff } },
        });
        if (open >= config.maxSessionsPerGrant) throw limitError();
        await tx.gatewaySession.create({
          data: {
            id,
            organizationId: grant.organizationId,
            grantId: grant.grantId,
            // (The grant's target: a toolset grant's sessions record the toolset's id.)
            serverId: grantTarget(grant),
            protocolVersion: storableText(initialize.params.protocolVersion),
            clientInfo: json(initialize.params.clientInfo),
            clientCapabilities: json(initialize.params.capabilities),
          },
        });
      });
      return true;
    } catch (error) {
      if (error instanceof SessionLimitError) throw error;
      this.services.log.warn(
        { err: error, sessionId: id },
        'could not record session; it counts on this replica only and will not move between replicas',
      );
      return false;
    }
  }

  async markClosed(sessionId: string): Promise<void> {
    await this.services.db.gatewaySession
      .updateMany({ where: { id: sessionId, closedAt: null }, data: { closedAt: new Date() } })
      .catch(() => undefined);
  }

  /** This replica's live sessions are still there. */
  async touch(ids: string[]): Promise<void> {
    if (ids.length > 0)
      await this.services.db.gatewaySession
        .updateMany({ where: { id: { in: ids }, closedAt: null }, data: { lastSeenAt: new Date() } })
        .catch(() => undefined);
  }

  find(sessionId: string) {
    return this.services.db.gatewaySession.findUnique({ where: { id: sessionId } });
  }

  /** Of these grants, the ones that still let anyone in (not revoked, not expired, server not deleted); undefined when the store cannot say. */
  async validGrants(grantIds: string[]): Promise<Set<string> | undefined> {
    const grants = await this.services.db.grant
      .findMany({
        where: { id: { in: grantIds } },
        select: {
          id: true,
          revokedAt: true,
          expiresAt: true,
          server: { select: { deletedAt: true } },
          toolset: { select: { deletedAt: true } },
        },
      })
      .catch(() => undefined);
    if (!grants) return undefined;
    const now = Date.now();
    return new Set(
      grants
        .filter(
          (g) =>
            !g.revokedAt &&
            (g.server ?? g.toolset)?.deletedAt === null &&
            (!g.expiresAt || g.expiresAt.getTime() > now),
        )
        .map((g) => g.id),
    );
  }
}

function json(value: unknown): Prisma.InputJsonValue | undefined {
  // An agent's client info with a NUL in it must not keep its session out of the shared count.
  return value === undefined || value === null
    ? undefined
    : (storableJson(JSON.parse(JSON.stringify(value))) as Prisma.InputJsonValue);
}
