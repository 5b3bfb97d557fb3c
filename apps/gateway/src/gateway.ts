// Builds a gateway from a config: stores, caches, change listener, upstream pool, HTTP server.
// Tests start it in-process on port 0; main.ts starts it from the environment.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { markSyncFailed, syncServerTools } from '@portcullis/catalog/sync-server-tools';
import type { CounterStore } from '@portcullis/counters/counter-store';
import { PostgresCounterStore } from '@portcullis/counters/postgres-counter-store';
import { RedisCounterStore } from '@portcullis/counters/redis-counter-store';
import { createPrismaClient, createResilientPool } from '@portcullis/db/client';
import { listAllTools, listResourceUris } from '@portcullis/upstream/connect-upstream';
import type { UpstreamConnection } from '@portcullis/upstream/upstream-connection';
import { AuditWriter } from './audit/audit-writer.ts';
import { DEFAULT_APPROVAL_HOLD_MS, type GatewayConfig } from './config.ts';
import { createHttpHandler } from './http/http-handler.ts';
import { OAuthAccessTokens } from './http/oauth-resource.ts';
import { createMetricsAccess } from './http/metrics-access.ts';
import { createLogger, type Logger } from './log.ts';
import { AuditRetention } from './ops/audit-retention.ts';
import { GatewayMetrics } from './ops/metrics.ts';
import type { GatewayServices } from './services.ts';
import { GrantSlots } from './sessions/grant-slots.ts';
import { SessionRegistry } from './sessions/session-registry.ts';
import type { SessionHooks } from './sessions/gateway-session.ts';
import { ModernRequests } from './modern/modern-requests.ts';
import { UpstreamPool } from './sessions/upstream-pool.ts';
import { UpstreamAuth } from './sessions/upstream-auth.ts';
import { UpstreamTokens } from '@portcullis/catalog/upstream-tokens';
import { CallAdmission, DEFAULT_ADMISSION } from './admission/call-admission.ts';
import { OrganizationCapsCache } from './admission/organization-caps.ts';
import { ApprovalCoordinator } from './state/approvals.ts';
import { ChangeListener } from './state/change-listener.ts';
import { GrantCache } from './state/grant-cache.ts';
import { ToolsetStateCache } from './state/toolset-state.ts';
import { ServerStateCache } from './state/server-state.ts';

export interface Gateway {
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight calls finish (up to drainMs), flushes audit, closes upstreams. */
  close(drainMs?: number): Promise<void>;
  /** Base URL once listening, e.g. http://127.0.0.1:4000. */
  readonly url: string;
  readonly services: GatewayServices;
}

/** A catalog that was synced this recently is trusted on connect (list_changed and drift re-sync sooner). */
const CATALOG_FRESH_MS = 5 * 60_000;
const DRIFT_RESYNC_MS = 5_000;

export function createGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Gateway {
  const log = options.logger ?? createLogger(config.logLevel);
  const ttl = Math.min(config.cacheTtlMs ?? 1_000, 1_000);
  // A stopped or restarted database fails connections in use as well as idle ones: both pools
  // listen on every connection, so the gateway keeps running and new connections are made.
  const onConnectionError = (error: Error) => log.warn({ err: error }, 'database connection failed');
  const db = createPrismaClient(config.databaseUrl, {
    max: 10,
    connectionTimeoutMillis: 2_000,
    onConnectionError,
  });
  const pool = createResilientPool(
    { connectionString: config.databaseUrl, max: 20, connectionTimeoutMillis: 2_000 },
    onConnectionError,
  );

  let redis: Redis | undefined;
  let counters: CounterStore;
  let pruneTimer: NodeJS.Timeout | undefined;
  if (config.redisUrl) {
    // No offline queue and one retry: while Redis is down calls are refused at once, not queued.
    // Reconnect attempts at most 500 ms apart (the default backs off to 2 s), so service resumes
    // within a second of Redis coming back however long it was away.
    redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    });
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
    counters = new RedisCounterStore({ redis });
  } else {
    const store = new PostgresCounterStore({ pool });
    counters = store;
    pruneTimer = setInterval(() => void store.deleteExpired().catch(() => undefined), 60_000);
    pruneTimer.unref();
  }

  const metrics = new GatewayMetrics();
  const retention = config.auditRetentionDays
    ? new AuditRetention(pool, { defaultDays: config.auditRetentionDays }, (error) =>
        log.error({ err: error }, 'audit retention run failed; the next run retries'),
      )
    : undefined;
  retention?.start(config.auditRetentionIntervalMs ?? 10 * 60_000);
  const listener = new ChangeListener(config.databaseUrl, log);
  const catalogSyncedAt = new Map<string, number>();
  const syncing = new Map<string, Promise<void>>();

  const organizationCaps = new OrganizationCapsCache(db);
  const services: GatewayServices = {
    config,
    log,
    db,
    pool,
    grants: new GrantCache(db, ttl),
    oauthTokens: new OAuthAccessTokens(db, ttl),
    servers: new ServerStateCache(db, ttl),
    toolsets: new ToolsetStateCache(db, ttl),
    counters,
    audit: new AuditWriter(pool, (error, message) =>
      log.error({ err: error }, message ?? 'audit completion write failed; retrying'),
    ),
    approvals: new ApprovalCoordinator(db, config.approvalPollMs ?? 1_000),
    metrics,
    upstreams: undefined as unknown as UpstreamPool,
    sessionSlots: new GrantSlots(
      config.maxSessionsPerGrant,
      (config.admission?.waitMs ?? DEFAULT_ADMISSION.waitMs) +
        (config.approvalHoldMs ?? DEFAULT_APPROVAL_HOLD_MS) +
        config.upstreamTimeoutMs,
    ),
    admission: new CallAdmission(config.admission ?? DEFAULT_ADMISSION, (id) => organizationCaps.get(id)),
    auditSalt: createHash('sha256')
      .update(config.encryptionKey)
      .update('portcullis:audit-arguments')
      .digest(),
  };

  /** Lists the upstream's tools and syncs the catalog; one sync per server at a time. */
  const syncCatalog = (serverId: string, connection: UpstreamConnection): Promise<void> => {
    const running = syncing.get(serverId);
    if (running) return running;
    const run = (async () => {
      const state = await services.servers.get(serverId);
      if (!state) return;
      const target = { organizationId: state.server.organizationId, serverId };
      try {
        const tools = await listAllTools(connection, config.upstreamTimeoutMs);
        // Resource URIs are a toolset's concern only: a server whose listing fails keeps its old ones.
        const uris = await listResourceUris(connection, config.upstreamTimeoutMs).catch(() => undefined);
        const result = await syncServerTools(db, target, tools, connection.getServerVersion(), uris);
        catalogSyncedAt.set(serverId, Date.now());
        services.servers.invalidate(serverId);
        if (result.added.length || result.changed.length || result.removed.length) {
          log.info(
            { serverId, added: result.added.length, changed: result.changed, removed: result.removed.length },
            'catalog synced',
          );
        }
      } catch (error) {
        log.error({ err: error, serverId }, 'catalog sync failed');
        await markSyncFailed(
          db,
          target,
          `Tool sync failed: ${error instanceof Error ? error.message : String(error)}`,
        ).catch(() => undefined);
      }
    })().finally(() => syncing.delete(serverId));
    syncing.set(serverId, run);
    return run;
  };

  // Connected accounts of servers behind sign-in (sessions/upstream-auth.ts): the connect page is the dashboard's.
  const upstreamAuth = new UpstreamAuth(
    new UpstreamTokens(db, {
      encryptionKey: config.encryptionKey,
      fetch: {
        allowPrivateNetworks: config.allowPrivateUpstreams,
        privateOrigins: config.privateUpstreamOrigins,
      },
      actorLabel: 'gateway',
    }),
    (config.oauthIssuer ?? 'http://localhost:3000').replace(/\/+$/, ''),
    log,
  );
  services.upstreams = new UpstreamPool(
    config,
    log,
    { onToolsChanged: (serverId, connection) => void syncCatalog(serverId, connection) },
    upstreamAuth,
  );
  const sessionHooks: SessionHooks = {
    // Bounded: an upstream whose list never matches the catalog must not cause a sync per tools/list.
    onDefinitionDrift: (serverId, connection) => {
      if (Date.now() - (catalogSyncedAt.get(serverId) ?? 0) > DRIFT_RESYNC_MS)
        void syncCatalog(serverId, connection);
    },
    ensureCatalog: async (serverId, connection) => {
      if (Date.now() - (catalogSyncedAt.get(serverId) ?? 0) < CATALOG_FRESH_MS) return;
      await syncCatalog(serverId, connection);
    },
  };
  const sessions = new SessionRegistry(services, sessionHooks);
  const modern = new ModernRequests(services, sessionHooks, {
    legMs: config.modernLegMs,
    resumeMs: config.modernResumeMs,
  });
  // At a grant's session cap, a warm pooled session (re-opened on the next stateless request) goes
  // before an agent's session (whose agent would have to initialize again).
  services.sessionSlots.addEvictor((grantId) => modern.evictIdle(grantId));
  services.sessionSlots.addEvictor((grantId) => sessions.evictIdle(grantId));
  services.sessionSlots.addEstimator((grantId) => modern.leastRecentlySeen(grantId));
  services.sessionSlots.addEstimator((grantId) => sessions.leastRecentlySeen(grantId));

  listener.onChange((event) => {
    switch (event.type) {
      case 'grant':
        services.grants.invalidateGrant(event.grantId);
        services.grants.invalidateUnknown();
        services.oauthTokens.invalidateGrant(event.grantId);
        void sessions
          .closeGrantIfInactive(event.grantId)
          .catch((error: unknown) =>
            log.warn(
              { err: error, grantId: event.grantId },
              'could not check a changed grant; its sessions are re-checked on the next heartbeat',
            ),
          );
        void modern
          .closeGrantIfInactive(event.grantId)
          .catch((error: unknown) =>
            log.warn(
              { err: error, grantId: event.grantId },
              'could not check a changed grant for its listen streams',
            ),
          );
        break;
      case 'policy':
      case 'tools':
        services.servers.invalidate(event.serverId);
        void sessions.notifyToolsChanged(event.serverId);
        modern.notifyToolsChanged(event.serverId);
        for (const toolsetId of services.toolsets.withServer(event.serverId))
          modern.notifyToolsChanged(toolsetId);
        break;
      case 'server':
        services.servers.invalidate(event.serverId);
        services.grants.invalidateServer(event.serverId);
        for (const toolsetId of services.toolsets.withServer(event.serverId)) {
          services.toolsets.invalidate(toolsetId);
          void sessions.toolsetChanged(toolsetId);
          void modern.toolsetChanged(toolsetId);
        }
        break;
      case 'toolset':
        services.toolsets.invalidate(event.toolsetId);
        services.grants.invalidateToolset(event.toolsetId);
        void sessions.toolsetChanged(event.toolsetId);
        void modern.toolsetChanged(event.toolsetId);
        break;
      case 'approval':
        services.approvals.wake(event.approvalId);
        break;
      case 'connection':
        upstreamAuth.connectionChanged(event.serverId, event.subject);
        break;
    }
  });

  let accepting = true;
  let url = '';
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  const readyCheck = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pool.query('SELECT 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 1_000))),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  const server = http.createServer(
    createHttpHandler({
      services,
      sessions,
      modern,
      allowedHosts: () => allowedHosts,
      allowedOrigins: () => allowedOrigins,
      accepting: () => accepting,
      readyCheck,
      metricsAccess: createMetricsAccess(config.metricsAllow, config.metricsToken),
    }),
  );
  server.keepAliveTimeout = 65_000;

  return {
    services,
    get url() {
      return url;
    },
    async listen() {
      await listener.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      const publicUrl = new URL(config.publicUrl);
      allowedHosts = new Set(
        (config.allowedHosts.length
          ? config.allowedHosts
          : [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, publicUrl.host]
        ).map((h) => h.toLowerCase()),
      );
      allowedOrigins = new Set(
        (config.allowedOrigins.length
          ? config.allowedOrigins
          : [publicUrl.origin, `http://localhost:${port}`, `http://127.0.0.1:${port}`]
        ).map((o) => o.toLowerCase().replace(/\/$/, '')),
      );
      const host = config.host.includes(':')
        ? `[${config.host}]`
        : config.host === '0.0.0.0'
          ? '127.0.0.1'
          : config.host;
      url = `http://${host}:${port}`;
      log.info({ url, counters: redis ? 'redis' : 'postgres' }, 'gateway listening');
      return url;
    },
    async close(drainMs = 10_000) {
      accepting = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + drainMs;
      while (sessions.inflightTotal() + modern.inflightTotal() > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      await retention?.close();
      await services.audit.close();
      await sessions.closeAll();
      await modern.closeAll();
      await services.upstreams.close();
      server.closeAllConnections();
      await closed;
      if (pruneTimer) clearInterval(pruneTimer);
      await listener.close();
      await counters.close().catch(() => undefined);
      redis?.disconnect();
      await pool.end().catch(() => undefined);
      await db.$disconnect().catch(() => undefined);
      log.info('gateway stopped');
    },
  };
}
