// Everything a request needs, built once by createGateway and passed down explicitly.
import type { Db } from '@portcullis/db/client';
import type { CounterStore } from '@portcullis/counters/counter-store';
import type pg from 'pg';
import type { CallAdmission } from './admission/call-admission.ts';
import type { AuditWriter } from './audit/audit-writer.ts';
import type { GatewayConfig } from './config.ts';
import type { OAuthAccessTokens } from './http/oauth-resource.ts';
import type { Logger } from './log.ts';
import type { GatewayMetrics } from './ops/metrics.ts';
import type { GrantSlots } from './sessions/grant-slots.ts';
import type { UpstreamPool } from './sessions/upstream-pool.ts';
import type { ApprovalCoordinator } from './state/approvals.ts';
import type { GrantCache } from './state/grant-cache.ts';
import type { ToolsetStateCache } from './state/toolset-state.ts';
import type { ServerStateCache } from './state/server-state.ts';

export interface GatewayServices {
  config: GatewayConfig;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  grants: GrantCache;
  /** OAuth access tokens (MCP authorization), each bound to a grant and one resource. */
  oauthTokens: OAuthAccessTokens;
  servers: ServerStateCache;
  toolsets: ToolsetStateCache;
  counters: CounterStore;
  audit: AuditWriter;
  approvals: ApprovalCoordinator;
  metrics: GatewayMetrics;
  upstreams: UpstreamPool;
  /** Open upstream sessions per grant on this replica (agents' and the modern pool's together). */
  sessionSlots: GrantSlots;
  /** Caps on tools/call in flight per organization and grant on this replica, with fair queues. */
  admission: CallAdmission;
  /** Key for the salted hashes of redacted audit arguments (derived from the encryption key). */
  auditSalt: Buffer;
}
