// The one place a call's audit record is built: tools/call and feature requests alike. Arguments
// are stored redacted (keys and keyed hashes) unless the server or its policy asks for them in full.
import { saltedValueHash } from '@portcullis/crypto/canonical-json';
import type { AuditDecision, AuditGuardFinding, AuditRecord } from '../audit/audit-types.ts';
import type { ServerState } from '../state/server-state.ts';

/** What every record of one request shares. */
export interface RequestAuditContext {
  salt: Buffer;
  session: {
    id: string;
    grantId: string;
    organizationId: string;
    serverId: string;
    /** Set when the request came through a toolset. */
    toolsetId?: string | null | undefined;
    protocolVersion?: string | undefined;
  };
  method: string;
  /** The tool name, resource URI or prompt name (bounded by the caller). */
  target: string | null;
  /** As the audit may keep them: after content guards, with every match redacted. */
  args: Record<string, unknown>;
  requestId: string;
  startedAt: Date;
  /** Content guards that fired on this call so far (tools/call only). */
  guards?: AuditGuardFinding[];
}

/** Keys and a keyed hash of each value: repeats can be linked, values cannot be read. */
export function redactArguments(salt: Buffer, args: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(args)) out[key] = `hmac:${saltedValueHash(salt, args[key])}`;
  return out;
}

/**
 * Whether arguments (and results) are stored in full: the tool's own setting when it has one, else
 * the server's or its policy's; unknown server state (store down) means redacted, the safe choice.
 */
export function fullArguments(state: ServerState | undefined, target: string | null = null): boolean {
  const toolSetting = target === null ? null : state?.tools.get(target)?.auditContent;
  if (toolSetting === 'full' || toolSetting === 'redacted') return toolSetting === 'full';
  return (
    state?.server.auditArguments === 'full' ||
    (state?.policy?.ok === true && state.policy.compiled.auditArguments === 'full')
  );
}

/** Largest result stored in plain text (characters of JSON); a longer one is cut and says so. */
export const MAX_STORED_RESULT_CHARS = 64 * 1024;

/** The result as stored when content is kept in full: as is, or cut to the bound. */
export function storedResult(result: unknown): unknown {
  const text = JSON.stringify(result) ?? 'null';
  return text.length <= MAX_STORED_RESULT_CHARS
    ? result
    : { truncated: true, originalChars: text.length, text: text.slice(0, MAX_STORED_RESULT_CHARS) };
}

export function auditRecord(
  ctx: RequestAuditContext,
  state: ServerState | undefined,
  decision: AuditDecision,
  rule: string | null,
  reason: string | null,
  extra: Partial<AuditRecord> = {},
): AuditRecord {
  const full = fullArguments(state, ctx.method === 'tools/call' ? ctx.target : null);
  return {
    organizationId: ctx.session.organizationId,
    grantId: ctx.session.grantId,
    serverId: ctx.session.serverId,
    toolsetId: ctx.session.toolsetId ?? null,
    toolName: ctx.target,
    method: ctx.method,
    decision,
    ruleId: rule,
    policyVersion: state?.policy?.version ?? null,
    reason,
    arguments: full ? ctx.args : redactArguments(ctx.salt, ctx.args),
    argumentsRedacted: !full,
    approvalId: null,
    sessionId: ctx.session.id,
    requestId: ctx.requestId,
    protocolVersion: protocolVersionText(ctx.session.protocolVersion),
    upstreamOutcome: 'not_sent',
    guards: ctx.guards && ctx.guards.length > 0 ? [...ctx.guards] : null,
    createdAt: ctx.startedAt,
    ...extra,
  };
}

/** The agent's protocol version as stored: a version-like token, or 'invalid' for anything else it sent. */
function protocolVersionText(version: string | undefined): string | null {
  if (version === undefined) return null;
  return /^[0-9A-Za-z._-]{1,40}$/.test(version) ? version : 'invalid';
}
