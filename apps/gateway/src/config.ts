// What createGateway needs, separate from where it comes from (env in main.ts, literals in tests).
import { parseEncryptionKey } from '@portcullis/crypto/secret-box';
import type { StdioPolicy } from '@portcullis/upstream/connect-upstream';
import type { Env } from './env.ts';
import type { AdmissionLimits } from './admission/call-admission.ts';

/** How long a call is held for approval when the config does not say (GATEWAY_APPROVAL_HOLD_MS's default too). */
export const DEFAULT_APPROVAL_HOLD_MS = 45_000;

export interface GatewayConfig {
  databaseUrl: string;
  /** Unset: rate-limit counters live in PostgreSQL. */
  redisUrl?: string;
  host: string;
  port: number;
  publicUrl: string;
  /** The OAuth authorization server (the dashboard) named in each grant URL's protected-resource metadata; unset: OAuth is not offered. */
  oauthIssuer?: string;
  /** Host header values accepted; empty: localhost / 127.0.0.1 / [::1] with the bound port, and the public URL's host. */
  allowedHosts: string[];
  /** Origin header values accepted (requests without Origin are accepted); empty: the public URL's origin and local origins. */
  allowedOrigins: string[];
  encryptionKey: Buffer;
  /** Every private address allowed (single-machine setups only). */
  allowPrivateUpstreams: boolean;
  /** Exact upstream origins allowed although private (e.g. npm start's own Twikit stand-in). */
  privateUpstreamOrigins: string[];
  /** Operator stdio templates, the free-form organization, and the sandbox. */
  stdio: StdioPolicy;
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  /** Largest single message accepted from an upstream (HTTP body, SSE event or stdio line). */
  maxUpstreamMessageBytes: number;
  /** Client addresses (CIDR) that may read /metrics without a token. */
  metricsAllow: string[];
  /** When set, /metrics also answers requests with `Authorization: Bearer <token>` from anywhere. */
  metricsToken?: string;
  maxSessionsPerGrant: number;
  stdioIdleMs: number;
  /** stdio processes one organization may run on this gateway at once. */
  maxStdioPerOrganization: number;
  sessionIdleMs: number;
  /** Admission of tools/call on this replica (src/admission/call-admission.ts); unset: the env defaults. */
  admission?: AdmissionLimits;
  logLevel: string;
  /** Operator's audit retention in days (tenants may only shorten it); 0 or unset: kept forever. */
  auditRetentionDays?: number;
  /** How often the retention job runs (default 10 minutes). */
  auditRetentionIntervalMs?: number;
  /** How long grant, policy and catalog lookups are cached (LISTEN invalidates sooner). At most 1000. */
  cacheTtlMs?: number;
  /** Fallback poll interval for pending approvals (LISTEN wakes waiters sooner). */
  approvalPollMs?: number;
  /** Interval of progress notifications while a call waits for approval. */
  approvalProgressMs?: number;
  /** How long a call is held for approval before the agent is told to call again once approved (default 45 s). */
  approvalHoldMs?: number;
  /** Modern (2026-07-28) requests: how long one leg runs before it answers input-required with a state to wait on (default 20 s). */
  modernLegMs?: number;
  /** Modern requests: how long a held request waits for the client's next leg before it is given up (default 60 s). */
  modernResumeMs?: number;
}

export function configFromEnv(env: Env): GatewayConfig {
  return {
    databaseUrl: env.DATABASE_URL,
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    host: env.GATEWAY_HOST,
    port: env.GATEWAY_PORT,
    publicUrl: env.GATEWAY_PUBLIC_URL,
    oauthIssuer: env.OAUTH_ISSUER.replace(/\/+$/, ''),
    allowedHosts: env.GATEWAY_ALLOWED_HOSTS,
    allowedOrigins: env.GATEWAY_ALLOWED_ORIGINS,
    encryptionKey: parseEncryptionKey(env.PORTCULLIS_ENCRYPTION_KEY),
    allowPrivateUpstreams: env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS,
    privateUpstreamOrigins: env.UPSTREAM_PRIVATE_ORIGINS,
    stdio: {
      templates: env.stdioTemplates,
      freeform: env.STDIO_FREEFORM_ORGANIZATION
        ? { organizationId: env.STDIO_FREEFORM_ORGANIZATION, commands: env.GATEWAY_STDIO_COMMANDS }
        : undefined,
      sandbox: {
        mode: env.STDIO_SANDBOX,
        uidBase: env.STDIO_SANDBOX_UID_BASE,
        uidCount: env.STDIO_SANDBOX_UID_COUNT,
      },
    },
    upstreamTimeoutMs: env.GATEWAY_UPSTREAM_TIMEOUT_MS,
    maxBodyBytes: env.GATEWAY_MAX_BODY_BYTES,
    maxUpstreamMessageBytes: env.GATEWAY_MAX_UPSTREAM_MESSAGE_BYTES,
    metricsAllow: env.GATEWAY_METRICS_ALLOW,
    ...(env.GATEWAY_METRICS_TOKEN ? { metricsToken: env.GATEWAY_METRICS_TOKEN } : {}),
    maxSessionsPerGrant: env.GATEWAY_MAX_SESSIONS_PER_GRANT,
    stdioIdleMs: env.GATEWAY_STDIO_IDLE_MS,
    maxStdioPerOrganization: env.GATEWAY_MAX_STDIO_PER_ORGANIZATION,
    sessionIdleMs: env.GATEWAY_SESSION_IDLE_MS,
    admission: {
      maxInFlight: env.GATEWAY_MAX_CALLS_IN_FLIGHT,
      maxInFlightPerOrganization: env.GATEWAY_MAX_CALLS_IN_FLIGHT_PER_ORGANIZATION,
      maxInFlightPerGrant: env.GATEWAY_MAX_CALLS_IN_FLIGHT_PER_GRANT,
      waitMs: env.GATEWAY_ADMISSION_WAIT_MS,
    },
    approvalHoldMs: env.GATEWAY_APPROVAL_HOLD_MS,
    modernLegMs: env.GATEWAY_MODERN_LEG_MS,
    modernResumeMs: env.GATEWAY_MODERN_RESUME_MS,
    logLevel: env.LOG_LEVEL,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
    auditRetentionIntervalMs: env.GATEWAY_AUDIT_RETENTION_INTERVAL_MS,
  };
}
