// The errors the gateway's layers share: what the agent is sent (JsonRpcError) and what forwarding
// to an upstream can end in (UpstreamFailure, and how the audit log words it). Its own module, so
// calls/ and sessions/ both depend on it instead of on each other.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamOutcome } from './audit/audit-types.ts';

/** A JSON-RPC error to send to the agent exactly as given (the SDK passes code, message and data through). */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export type UpstreamFailureKind = 'timeout' | 'crash' | 'error' | 'invalid' | 'cancelled';

export class UpstreamFailure extends JsonRpcError {
  /**
   * False only when the request was certainly not written to the upstream (the agent cancelled
   * before it was sent, or the write itself failed); otherwise the upstream may have run it.
   */
  sent = true;

  constructor(
    readonly kind: UpstreamFailureKind,
    code: number,
    message: string,
    data?: unknown,
  ) {
    super(code, message, data);
  }
}

/** What the audit log records for a failed forward. */
export function upstreamOutcomeOf(failure: UpstreamFailure): UpstreamOutcome {
  if (!failure.sent) return 'not_sent';
  if (failure.kind === 'cancelled') return 'cancelled';
  // No answer (timeout, connection lost): the upstream had the call and may have run it.
  if (failure.kind === 'timeout' || failure.kind === 'crash') return 'unknown';
  return 'error';
}

export function describeFailure(failure: UpstreamFailure, outcome: UpstreamOutcome): string {
  const message = failure.message.slice(0, 400);
  if (outcome === 'cancelled') return `${message} after it was sent upstream; it may have run`;
  if (outcome === 'unknown') return `${message}; the call was sent upstream and may have run`;
  if (outcome === 'not_sent') return `${message} (not sent upstream)`;
  return message;
}

/** A JSON-RPC error body for what a request ended in: a JsonRpcError as given, anything else an internal error. */
export function toErrorBody(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof JsonRpcError)
    return {
      code: error.code,
      message: error.message,
      ...(error.data === undefined ? {} : { data: error.data }),
    };
  return {
    code: ErrorCode.InternalError,
    message: error instanceof Error ? error.message : 'Internal error',
  };
}

/** No usable connected account for this call: what the agent is told, and where to fix it. */
export class NeedsConnectionError extends Error {
  constructor(
    readonly serverName: string,
    readonly connectUrl: string,
    readonly reason: 'not_connected' | 'needs_reconnect' | 'no_user',
    shared: boolean,
  ) {
    super(
      reason === 'no_user'
        ? `${serverName} acts as the person who created or authorized this grant, and this grant has none; create the grant as a member, or authorize the client with OAuth`
        : `${serverName} needs ${shared ? "the organization's" : 'your'} account ${reason === 'needs_reconnect' ? 'reconnected' : 'connected'}: ${shared ? 'an admin opens' : 'open'} ${connectUrl} to connect it, then call again`,
    );
    this.name = 'NeedsConnectionError';
  }

  /** The URL-mode elicitation (MCP 2025-11-25) that sends the person to the connect page. */
  elicitation(): { mode: 'url'; elicitationId: string; url: string; message: string } {
    return { mode: 'url', elicitationId: randomUUID(), url: this.connectUrl, message: this.message };
  }
}
