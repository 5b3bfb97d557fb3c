// What an audit event is, as the gateway's layers hand it to the audit writer (audit-writer.ts, the
// one module that writes audit events): the record of a call, the completion that follows it, and
// the rate-limit reservation that may be taken with it.
import type { Decision } from '@portcullis/db/types';
import type { InlineReservation } from '@portcullis/counters/counter-store';

/** The audit table's decision column (the Prisma enum is the one definition). */
export type AuditDecision = Decision;
/**
 * `cancelled`: the agent cancelled after the call was sent upstream; `unknown`: sent, and no answer
 * came (timeout, connection lost). Both may have run. (Rows written before these existed say `timeout`.)
 */
export type UpstreamOutcome =
  | 'pending'
  | 'not_sent'
  | 'ok'
  | 'tool_error'
  | 'error'
  | 'cancelled'
  | 'unknown'
  /** Not sent: the server is behind sign-in and the acting person (or organization) has no usable account. */
  | 'needs_connection';

export interface AuditRecord {
  organizationId: string;
  grantId: string | null;
  serverId: string | null;
  toolName: string | null;
  method: string;
  decision: AuditDecision;
  ruleId: string | null;
  policyVersion: number | null;
  reason: string | null;
  arguments: unknown;
  argumentsRedacted: boolean;
  approvalId: string | null;
  sessionId: string | null;
  requestId: string | null;
  /** The MCP protocol version the agent spoke. */
  protocolVersion?: string | null;
  upstreamOutcome: UpstreamOutcome;
  upstreamError?: string | null;
  latencyMs?: number | null;
  /** Content guards that fired (detector, where, how many, what was done), never the matched text. */
  guards?: AuditGuardFinding[] | null;
  /** The call's OpenTelemetry trace id, when traces are exported. */
  traceId?: string | null;
  /** The toolset the call came through (serverId and toolName are the member's own). */
  toolsetId?: string | null;
  createdAt: Date;
}

export interface AuditGuardFinding {
  direction: 'arguments' | 'results';
  detector: string;
  /** JSON pointer inside the arguments or the result. */
  where: string;
  count: number;
  action: 'block' | 'redact' | 'flag';
}

export interface AuditCompletion {
  id: string;
  outcome: UpstreamOutcome;
  error: string | null;
  latencyMs: number;
  /** The tool's result, only when its content is stored in full (already bounded by the caller). */
  result?: unknown;
  /** Every guard finding of the call (arguments' and result's), replacing what the insert had. */
  guards?: AuditGuardFinding[];
}

/** A rate-limit reservation taken in the same statement as the row (PostgreSQL counters; see insertReserving). */
export type InlineReservationSpec = InlineReservation['spec'];
/** A reservation that found a counter full: which one, and when its slot frees (store clock). */
export interface RefusedReservation {
  counterIndex: number;
  freesAtMs: number;
  nowMs: number;
}

/** A record PostgreSQL refuses even in its safe form (e.g. its organization is gone): never retried. */
export class UnstorableAuditRecordError extends Error {}
