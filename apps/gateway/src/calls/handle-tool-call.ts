// The path of every tools/call through the gateway, top to bottom:
//   (grant authenticated by the HTTP layer) → policy and catalog (cached) → pinning → decide →
//   (hold for approval, or hand back) → rate-limit counters → approval consumed → audit record
//   committed → forward → record outcome.
// Anything that goes wrong before forwarding refuses the call: the gateway fails closed.
import { ErrorCode, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { hashCanonical } from '@portcullis/crypto/canonical-json';
import { counterKey } from '@portcullis/policy/counter-key';
import { decideToolCall, PRE_POLICY_RULES } from '@portcullis/policy/decide';
import { outOfScopeDecision, RENAMED_RULE, TOOLSET_RULE } from '@portcullis/policy/toolset';
import { applyCounterResults } from '@portcullis/policy/evaluate';
import type { CounterRequest, Decision } from '@portcullis/policy/types';
import type { KeyedCounter, Reservation, ReserveResult } from '@portcullis/counters/counter-store';
import type { AuditDecision, AuditRecord } from '../audit/audit-types.ts';
import { auditRecord, fullArguments, storedResult, type RequestAuditContext } from './audit-record.ts';
import { refusalResult } from './refusal.ts';
import { approvalHandBack, withApproverNote } from './approval-hand-back.ts';
import { CallGuards } from './content-guards.ts';
import {
  activeTraceId,
  inRequestSpan,
  inSpan,
  outgoingContext,
  recordSpan,
  tracingOn,
} from '../ops/tracing.ts';
import type { Span } from '@opentelemetry/api';
import { blockedReason } from '@portcullis/guardrails/scan';
import type { GatewayServices } from '../services.ts';
import { DEFAULT_APPROVAL_HOLD_MS } from '../config.ts';
import type { AdmissionSlot } from '../admission/call-admission.ts';
import type { AgentExtra } from '../agent-request.ts';
import {
  describeFailure,
  JsonRpcError,
  NeedsConnectionError,
  UpstreamFailure,
  upstreamOutcomeOf,
} from '../errors.ts';
import type { GrantStatus } from '../state/grant-cache.ts';
import type { ServerState } from '../state/server-state.ts';
import type { ToolNaming } from './tool-naming.ts';

export interface ToolCallSession {
  id: string;
  grantId: string;
  organizationId: string;
  serverId: string;
  /** The MCP protocol version the agent speaks (recorded with each call). */
  readonly protocolVersion?: string | undefined;
  /**
   * True for stateless (MCP 2026-07-28) callers: their requests come back in legs (input-required
   * with a requestState) however long a call takes, so an approval is waited for until it is
   * decided or expires instead of being handed back after GATEWAY_APPROVAL_HOLD_MS.
   */
  readonly waitsInLegs?: boolean | undefined;
  /** The client declared URL-mode elicitation (MCP 2025-11-25): "connect your account" comes as -32042. */
  readonly urlElicitation?: boolean | undefined;
  /** Set when the request came through a toolset (recorded with each call). */
  readonly toolsetId?: string | null | undefined;
  /** How agents' tool names map to the upstream's here (overrides, a toolset's prefix and subset). */
  naming?(state: ServerState): ToolNaming | undefined;
  /** The session ended (a toolset member removed): a call that waited is not sent. */
  readonly closed?: boolean;
  /** Sends the call upstream (reconnecting a dead upstream first); throws UpstreamFailure. */
  forwardToolCall(request: CallToolRequest, extra: AgentExtra): Promise<CallToolResult>;
}

/** Shown to agents and stored as the audit reason. */
const STORE_DOWN =
  'The gateway cannot reach its policy or counter store, so the call was not sent; retry shortly';
const AUDIT_DOWN = 'The gateway cannot write its audit log, so the call was not sent; retry shortly';
/** MCP 2025-11-25 (server/tools, "Tool names"): 1–128 characters of A-Z a-z 0-9 _ - . */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const BAD_TOOL_NAME =
  'Invalid tool name: tool names are 1 to 128 characters of A-Z, a-z, 0-9, underscore, hyphen and dot (MCP 2025-11-25)';

export async function handleToolCall(
  services: GatewayServices,
  session: ToolCallSession,
  request: CallToolRequest,
  extra: AgentExtra,
): Promise<CallToolResult> {
  // One span per call when tracing is on (ops/tracing.ts; a no-op otherwise): identifiers and
  // outcomes only, never arguments or results.
  const name = request.params.name;
  const attributes = {
    'mcp.method.name': 'tools/call',
    'portcullis.organization': session.organizationId,
    'portcullis.grant': session.grantId,
    'portcullis.server': session.serverId,
    ...(TOOL_NAME.test(name) ? { 'portcullis.tool': name } : {}),
  };
  return inRequestSpan('tools/call', extra._meta, attributes, async (span) => {
    // Admission first (admission/): beyond its organization's or grant's cap a call waits in its own
    // queue, then is answered busy (CallsBusyError) before it costs a policy read or an audit row.
    const slot = await services.admission.admit(session.organizationId, session.grantId, extra.signal);
    try {
      return await decideAndForward(services, session, request, extra, slot, span);
    } finally {
      slot.release();
    }
  });
}

async function decideAndForward(
  services: GatewayServices,
  session: ToolCallSession,
  request: CallToolRequest,
  extra: AgentExtra,
  slot: AdmissionSlot,
  span: Span | undefined,
): Promise<CallToolResult> {
  const { audit, counters, approvals, metrics, config } = services;
  const startedAt = new Date();
  const started = performance.now();
  // The agent's name for the tool; after the catalog is read, the upstream's (calls/tool-naming.ts).
  let toolName = request.params.name;
  const args = (request.params.arguments ?? {}) as Record<string, unknown>;
  const auditContext: RequestAuditContext = {
    salt: services.auditSalt,
    session,
    method: 'tools/call',
    target: toolName,
    args,
    requestId: String(extra.requestId),
    startedAt,
  };

  // 0. A name no MCP tool can have is refused before anything else (it is audited in a storable,
  // bounded form: a NUL or a megabyte of name must not reach the policy, the counters or the log).
  if (!TOOL_NAME.test(toolName)) {
    metrics.recordCall('deny', '(unknown)', 'not_sent', (performance.now() - started) / 1000);
    void audit.insertOrDefer(
      auditRecord(
        { ...auditContext, target: boundedName(toolName) },
        undefined,
        'deny',
        '(tool name)',
        BAD_TOOL_NAME,
        { latencyMs: performance.now() - started },
      ),
    );
    throw new JsonRpcError(-32602, BAD_TOOL_NAME);
  }

  // 1. Server, active policy and catalog entry (cached ≤ 1 s; a store outage refuses the call).
  let state: ServerState | undefined;
  try {
    // (The cache answers synchronously when warm: no span, and no extra promise, unless tracing.)
    state = tracingOn()
      ? await inSpan('policy load', async () => services.servers.get(session.serverId))
      : await services.servers.get(session.serverId);
  } catch (error) {
    services.log.error({ err: error, serverId: session.serverId }, 'policy store unavailable');
    metrics.recordCall('error', '(unknown)', 'not_sent', (performance.now() - started) / 1000);
    void audit.insertOrDefer(
      auditRecord(auditContext, undefined, 'error', null, STORE_DOWN, {
        latencyMs: performance.now() - started,
      }),
    );
    throw new JsonRpcError(-32603, STORE_DOWN);
  }
  if (!state) throw new JsonRpcError(-32603, 'This server is no longer registered');
  // Renamed tools (overrides) and a toolset's prefix and subset: policy, pinning, audit and the
  // upstream see the upstream's own name; a name no tool answers to is refused as not available.
  const exposed = toolName;
  const naming = session.naming?.(state);
  let outOfScope = false;
  if (naming) {
    const upstreamName = naming.resolve(exposed);
    outOfScope = upstreamName === undefined || !naming.included(upstreamName);
    if (upstreamName !== undefined) {
      toolName = upstreamName;
      auditContext.target = upstreamName;
      request = { ...request, params: { ...request.params, name: upstreamName } };
    }
  }
  const tool = state.tools.get(toolName);
  const catalogTool = tool?.present ? toolName : '(unknown)';
  let policyVersion = state.policy?.version ?? null;
  // (The state may be reloaded after an approval wait: records use the state as it is then.)
  const record = (
    decision: AuditDecision,
    rule: string | null,
    reason: string | null,
    extraFields: Partial<AuditRecord> = {},
  ): AuditRecord => {
    span?.setAttributes({ 'portcullis.decision': decision, 'portcullis.rule': rule ?? '' });
    return auditRecord(auditContext, state, decision, rule, reason, {
      traceId: activeTraceId(),
      ...extraFields,
    });
  };
  const refuse = async (decision: Decision, approvalId: string | null = null): Promise<CallToolResult> => {
    const auditDecision: AuditDecision =
      approvalId && decision.effect !== 'rate_limited' ? 'require_approval' : decision.effect;
    const written = await audit.insertOrDefer(
      record(auditDecision, decision.rule, decision.reason ?? null, {
        approvalId,
        latencyMs: performance.now() - started,
      }),
    );
    if (written === 'deferred')
      services.log.warn(
        { serverId: session.serverId },
        'audit store unavailable; the refusal is recorded once it is back',
      );
    metrics.recordCall(auditDecision, catalogTool, 'not_sent', (performance.now() - started) / 1000);
    return refusalResult(agentView(decision), policyVersion, approvalId);
  };

  // 2. Decide. No policy denies everything; a tool whose definition changed since approval, or
  // that appeared after the catalog was reviewed, is blocked.
  const decidedAt = performance.now();
  let decision = outOfScope
    ? outOfScopeDecision(exposed, session.toolsetId ? TOOLSET_RULE : RENAMED_RULE)
    : decide(state, toolName, args);
  recordSpan('decision', decidedAt, {
    'portcullis.decision': decision.effect,
    'portcullis.rule': decision.rule,
  });
  if (decision.effect === 'deny' || decision.effect === 'hide') return refuse(decision);

  // 2b. Content guards on the arguments (calls/content-guards.ts): a block refuses the call naming
  // the detector and where, never the match; a redaction forwards a copy with the matches replaced.
  // The audit row (and a pending approval) keep the arguments with every match redacted, even when
  // content is stored in full; what fired is recorded with the row.
  let forwarded = request;
  const guardArguments = (current: ServerState): Decision | null => {
    const guards = new CallGuards(current, toolName, metrics);
    const outcome = guards.onArguments(args);
    auditContext.args = outcome.audited;
    auditContext.guards = guards.findings;
    callGuards = guards;
    forwarded = outcome.redacted
      ? { ...request, params: { ...request.params, arguments: outcome.value } }
      : request;
    if (!outcome.blocked) return null;
    return {
      effect: 'deny',
      rule: `guard:${outcome.blocked.detector}`,
      reason: blockedReason('arguments', outcome.blocked),
      counters: [],
    };
  };
  let callGuards!: CallGuards;
  const guarded = guardArguments(state);
  if (guarded) return refuse(guarded);

  // 3. Hold for approval: bound to grant + tool + exact arguments, decided in the dashboard. The
  // call is held only as long as a client can wait (GATEWAY_APPROVAL_HOLD_MS, under the SDK's 60 s);
  // then the agent is told to call again once approved, and that identical call runs (once).
  let approvalId: string | null = null;
  let approverNote: string | null = null;
  if (decision.effect === 'require_approval') {
    const argumentsHash = hashCanonical(args);
    // A call waiting for a person holds no admission slot; it takes one again once decided.
    slot.release();
    metrics.approvalsPending += 1;
    let outcome: 'approved' | 'denied' | 'expired' | 'cancelled' | 'held';
    let approvalExpiresAt: Date | undefined;
    try {
      const approval = await approvals.findOrCreate({
        organizationId: session.organizationId,
        grantId: session.grantId,
        serverId: session.serverId,
        toolName,
        argumentsHash,
        // The approver must see what they approve, so the pending approval keeps the full arguments
        // even when the audit log stores them redacted (minus what a content guard matched).
        arguments: auditContext.args,
        sessionId: session.id,
        ruleId: decision.rule,
        timeoutMs: decision.approval?.timeoutMs ?? 300_000,
      });
      approvalId = approval.id;
      approvalExpiresAt = approval.expiresAt;
      const progressToken = extra._meta?.progressToken;
      const waited =
        approval.status !== 'pending'
          ? { outcome: approval.status, note: approval.note }
          : await inSpan('approval wait', () =>
              approvals.waitForDecision(
                approval.id,
                approval.expiresAt,
                extra.signal,
                progressToken === undefined
                  ? undefined
                  : {
                      everyMs: config.approvalProgressMs ?? 5_000,
                      run: (elapsedMs) => {
                        void extra
                          .sendNotification({
                            method: 'notifications/progress',
                            params: {
                              progressToken,
                              progress: Math.round(elapsedMs / 1000),
                              message: 'Waiting for a person to approve this call',
                            },
                          })
                          .catch(() => undefined);
                      },
                    },
                session.waitsInLegs
                  ? approval.expiresAt.getTime()
                  : Date.now() + (config.approvalHoldMs ?? DEFAULT_APPROVAL_HOLD_MS),
              ),
            );
      outcome = waited.outcome;
      approverNote = waited.note;
    } catch (error) {
      services.log.error({ err: error }, 'approval store unavailable');
      return refuse({ effect: 'deny', rule: decision.rule, reason: STORE_DOWN, counters: [] }, approvalId);
    } finally {
      metrics.approvalsPending -= 1;
    }
    if (outcome === 'approved') await slot.reacquire();
    if (outcome === 'held') {
      // Handed back: the approval stays pending; the agent's identical call later runs once approved.
      const reason = 'Waiting for approval: a person has been asked';
      const written = await audit.insertOrDefer(
        record('require_approval', decision.rule, reason, {
          approvalId,
          latencyMs: performance.now() - started,
        }),
      );
      if (written === 'deferred')
        services.log.warn(
          { serverId: session.serverId },
          'audit store unavailable; the hand-back is recorded once it is back',
        );
      metrics.recordCall('require_approval', catalogTool, 'not_sent', (performance.now() - started) / 1000);
      return approvalHandBack({
        // The name the agent calls it by (a toolset's prefixed one, an override's).
        toolName: exposed,
        rule: decision.rule,
        policyVersion,
        approvalId: approvalId!,
        expiresAt: approvalExpiresAt!,
      });
    }
    if (outcome !== 'approved') {
      const reasons = {
        denied: `A person denied this call${approverNote ? `: ${approverNote}` : ''}`,
        expired: 'No one approved this call in time',
        cancelled: 'The call was cancelled while waiting for approval',
      } as const;
      return refuse({ ...decision, effect: 'deny', reason: reasons[outcome] }, approvalId);
    }

    // The wait may have been long: the call runs only if the grant and the policy as they are now
    // still let it (an approval is for the call, not for whatever the policy has become).
    let current: { grant: GrantStatus; state: ServerState | undefined };
    try {
      current = {
        grant: await services.grants.status(session.grantId),
        state: await services.servers.loadFresh(session.serverId),
      };
    } catch (error) {
      services.log.error({ err: error }, 'policy store unavailable after approval');
      return refuse({ effect: 'deny', rule: decision.rule, reason: STORE_DOWN, counters: [] }, approvalId);
    }
    if (current.grant !== 'active') {
      const what = { revoked: 'was revoked', expired: 'expired', unknown: 'was deleted' }[current.grant];
      return refuse(
        {
          effect: 'deny',
          rule: '(grant)',
          reason: `The grant ${what} while this call waited for approval`,
          counters: [],
        },
        approvalId,
      );
    }
    if (!current.state)
      return refuse(
        {
          effect: 'deny',
          rule: '(server)',
          reason: 'This server was removed while this call waited for approval',
          counters: [],
        },
        approvalId,
      );
    state = current.state;
    policyVersion = state.policy?.version ?? null;
    // The toolset (or the overrides) as they are now: a tool taken out of the subset, or a member
    // removed, while the call waited is not sent.
    if (session.closed === true)
      return refuse(
        {
          effect: 'deny',
          rule: '(session)',
          reason: 'The session ended while this call waited for approval',
          counters: [],
        },
        approvalId,
      );
    const namingNow = session.naming?.(state);
    const stillInScope =
      !naming ||
      (namingNow !== undefined && namingNow.resolve(exposed) === toolName && namingNow.included(toolName));
    const recheck = stillInScope
      ? decide(state, toolName, args)
      : outOfScopeDecision(exposed, session.toolsetId ? TOOLSET_RULE : RENAMED_RULE);
    if (recheck.effect === 'deny' || recheck.effect === 'hide') {
      return refuse(
        {
          ...recheck,
          effect: 'deny',
          reason: `The policy changed while this call waited for approval: ${recheck.reason ?? 'the call is now denied'}`,
        },
        approvalId,
      );
    }
    decision = recheck;
    // The guards as the policy is now.
    const guardedNow = guardArguments(state);
    if (guardedNow) return refuse(guardedNow, approvalId);
  }

  /** The audit record could not be written: nothing was forwarded, and the agent is told why. */
  const auditDown = (error: unknown): never => {
    services.log.error({ err: error }, 'audit insert failed; call not forwarded');
    metrics.recordCall('error', catalogTool, 'not_sent', (performance.now() - started) / 1000);
    void audit.insertOrDefer(
      record('error', decision.rule, AUDIT_DOWN, { approvalId, latencyMs: performance.now() - started }),
    );
    throw new JsonRpcError(-32603, AUDIT_DOWN);
  };

  // 4. Rate limits: reserve now, commit once the upstream ran the call, release if it did not.
  // With counters in PostgreSQL (the embedded default) and no approval to use up, the reservation
  // rides in the audit insert of step 5: one statement, one round trip, one commit for both.
  let reservation: Reservation | undefined;
  let auditId: string | undefined;
  if (decision.counters.length > 0) {
    const keyed = decision.counters.map((counter) => toKeyedCounter(counter, session, state));
    const inline = !approvalId && counters.prepareInline ? counters.prepareInline.bind(counters) : undefined;
    // Assigned by reserve() or, on the inline path, from the audit insert's answer below.
    let reserved!: ReserveResult<ScopedCounter>;
    let prepared;
    try {
      if (inline) prepared = await inSpan('counters', () => inline(keyed));
      else reserved = await inSpan('counters', () => counters.reserve(keyed));
    } catch (error) {
      services.log.error({ err: error }, 'counter store unavailable');
      return refuse({ effect: 'deny', rule: decision.rule, reason: STORE_DOWN, counters: [] }, approvalId);
    }
    if (prepared) {
      let inserted;
      try {
        inserted = await inSpan('audit commit', () =>
          audit.insertReserving(
            record('allow', decision.rule, null, { upstreamOutcome: 'pending' }),
            prepared.spec,
          ),
        );
      } catch (error) {
        // Neither the slot nor the row was written (one statement): the call is refused, and says why.
        return auditDown(error);
      }
      reserved = prepared.result(inserted.refused, Date.now());
      if (reserved.ok) auditId = inserted.id;
    }
    // A rate-limited approved call keeps its approval (not consumed yet): the agent retries later.
    if (!reserved.ok)
      return refuse(
        applyCounterResults(decision, {
          ok: false,
          counter: reserved.counter.request,
          retryAfterMs: reserved.retryAfterMs,
        }),
        approvalId,
      );
    reservation = reserved.reservation;
  }

  // 4b. The call goes ahead: only now is the approval used up (exactly one call wins it).
  if (approvalId) {
    let won: boolean;
    try {
      won = await approvals.consume(approvalId);
    } catch (error) {
      services.log.error({ err: error }, 'approval store unavailable');
      if (reservation) await counters.release(reservation).catch(() => undefined);
      return refuse({ effect: 'deny', rule: decision.rule, reason: STORE_DOWN, counters: [] }, approvalId);
    }
    if (!won) {
      if (reservation) await counters.release(reservation).catch(() => undefined);
      return refuse(
        {
          ...decision,
          effect: 'deny',
          reason: 'The approval was already used by another call; call again to ask for a new one',
        },
        approvalId,
      );
    }
  }

  // 5. Audit record, committed before anything reaches the upstream (already, on the inline path).
  if (auditId === undefined) {
    try {
      auditId = await inSpan('audit commit', () =>
        audit.insert(
          record(approvalId ? 'require_approval' : 'allow', decision.rule, approvalId ? 'Approved' : null, {
            approvalId,
            upstreamOutcome: 'pending',
          }),
        ),
      );
    } catch (error) {
      if (reservation) await counters.release(reservation).catch(() => undefined);
      // The call did not go ahead, so its approval is not used up.
      if (approvalId) await approvals.restore(approvalId).catch(() => undefined);
      return auditDown(error);
    }
  }

  // 6. Forward, then record the outcome (batched; the agent does not wait for it).
  try {
    const upstream = await inSpan('upstream call', () => {
      // The upstream call's trace context, in params._meta (SEP-414) as well as HTTP headers.
      const trace = outgoingContext();
      const sent = trace
        ? { ...forwarded, params: { ...forwarded.params, _meta: { ...forwarded.params._meta, ...trace } } }
        : forwarded;
      return session.forwardToolCall(sent, extra);
    });
    const outcome = upstream.isError ? 'tool_error' : 'ok';
    span?.setAttribute('portcullis.outcome', outcome);
    // Content guards on the result, before the agent sees it (a blocked result is replaced).
    const { result, audited } = callGuards.onResult(upstream);
    const latencyMs = performance.now() - started;
    // Results are kept only where the server or tool stores content in plain text (bounded), and
    // never with what a guard matched.
    audit.complete({
      id: auditId,
      outcome,
      error: null,
      latencyMs,
      ...(fullArguments(state, toolName) ? { result: storedResult(audited) } : {}),
      guards: callGuards.findings,
    });
    if (reservation) void counters.commit(reservation).catch(() => undefined);
    metrics.recordCall(approvalId ? 'require_approval' : 'allow', catalogTool, outcome, latencyMs / 1000);
    return approvalId ? withApproverNote(result, approvalId, approverNote) : result;
  } catch (error) {
    if (error instanceof NeedsConnectionError) {
      // No usable connected account: nothing was sent; the agent is told where to connect.
      const latencyMs = performance.now() - started;
      span?.setAttribute('portcullis.outcome', 'needs_connection');
      audit.complete({ id: auditId, outcome: 'needs_connection', error: error.message, latencyMs });
      if (reservation) void counters.release(reservation).catch(() => undefined);
      if (approvalId) await approvals.restore(approvalId).catch(() => undefined);
      metrics.recordCall(
        approvalId ? 'require_approval' : 'allow',
        catalogTool,
        'needs_connection',
        latencyMs / 1000,
      );
      if (session.urlElicitation)
        throw new JsonRpcError(ErrorCode.UrlElicitationRequired, error.message, {
          elicitations: [error.elicitation()],
        });
      return { content: [{ type: 'text', text: error.message }], isError: true };
    }
    const failure = error instanceof UpstreamFailure ? error : notSent(error);
    const latencyMs = performance.now() - started;
    const outcome = upstreamOutcomeOf(failure);
    span?.setAttribute('portcullis.outcome', outcome);
    audit.complete({ id: auditId, outcome, error: describeFailure(failure, outcome), latencyMs });
    // The slot is given back only when the upstream certainly never received the call: a call the
    // agent cancelled, or that timed out, after it was written may have run (and cancelling must not
    // be a way around the limit).
    if (reservation)
      void (outcome === 'not_sent' ? counters.release(reservation) : counters.commit(reservation)).catch(
        () => undefined,
      );
    if (failure.kind !== 'cancelled')
      metrics.recordUpstreamError(failure.kind === 'invalid' ? 'error' : failure.kind);
    metrics.recordCall(approvalId ? 'require_approval' : 'allow', catalogTool, outcome, latencyMs / 1000);
    throw failure;
  }
}

/** An error from before the request reached the upstream (reconnecting it failed). */
function notSent(error: unknown): UpstreamFailure {
  const failure =
    error instanceof JsonRpcError
      ? new UpstreamFailure('error', error.code, error.message, error.data)
      : new UpstreamFailure('error', -32603, String(error));
  failure.sent = false;
  return failure;
}

/** The decision for a call as the server's state stands (packages/policy's decideToolCall, which simulation uses too). */
function decide(state: ServerState, toolName: string, args: Record<string, unknown>): Decision {
  return decideToolCall(state.policy, state.tools.get(toolName), { tool: toolName, args });
}

/** What the agent is told: a hidden tool looks exactly like one that does not exist. */
function agentView(decision: Decision): Decision {
  return decision.effect === 'hide'
    ? { ...decision, effect: 'deny', rule: PRE_POLICY_RULES.catalog }
    : decision;
}

function boundedName(name: string): string {
  return name.length > 200 ? `${name.slice(0, 200)}…` : name;
}

type ScopedCounter = KeyedCounter & { request: CounterRequest };

function toKeyedCounter(
  counter: CounterRequest,
  session: ToolCallSession,
  state: ServerState,
): ScopedCounter {
  const key = counterKey(counter, {
    grantId: session.grantId,
    // A stateless (2026-07-28) caller has no session: its session-scoped limits count per grant, so
    // declaring other capabilities (another pooled upstream session) cannot start a fresh budget.
    sessionId: session.waitsInLegs ? `stateless:${session.grantId}` : session.id,
    serverId: session.serverId,
    orgId: session.organizationId,
    upstreamId: state.server.upstreamAccount ?? session.serverId,
    acrossServers: session.toolsetId != null,
  });
  // Counters of one organization never share a key with another's, whatever the policy names them.
  return {
    key: `${session.organizationId}:${key}`,
    windowMs: counter.windowMs,
    max: counter.max,
    request: counter,
  };
}
