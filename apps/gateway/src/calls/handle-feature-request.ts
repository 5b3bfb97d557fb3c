// Resources, prompts and completions: what a server offers besides tools. The policy allows or
// denies each feature as a whole (`resources`, `prompts`; absent: the policy default, so a
// default-deny policy exposes no files or prompts by accident). Listing a denied feature answers an
// empty list; reading, getting, completing or subscribing is refused with the reason. Every read,
// get, completion and subscription is audited like a tool call: the record is durably stored
// before the request reaches the upstream, and a store outage refuses the request.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import { decideFeatureRequest, decideOtherRequest } from '@portcullis/policy/decide';
import type { Decision, Feature } from '@portcullis/policy/types';
import type { AuditRecord } from '../audit/audit-types.ts';
import type { GatewayServices } from '../services.ts';
import type { AgentExtra } from '../agent-request.ts';
import {
  describeFailure,
  JsonRpcError,
  NeedsConnectionError,
  UpstreamFailure,
  upstreamOutcomeOf,
} from '../errors.ts';
import type { ServerState } from '../state/server-state.ts';
import { auditRecord, type RequestAuditContext } from './audit-record.ts';
import { refusalError } from './refusal.ts';

export interface FeatureSession {
  id: string;
  grantId: string;
  organizationId: string;
  serverId: string;
  /** The MCP protocol version the agent speaks (recorded with each request). */
  readonly protocolVersion?: string | undefined;
  /** The client declared URL-mode elicitation: "connect your account" comes as -32042. */
  readonly urlElicitation?: boolean | undefined;
  /** Sends the request upstream (reconnecting a dead upstream first); throws UpstreamFailure. */
  forward(method: string, params: Params, extra: AgentExtra): Promise<Params>;
}

const STORE_DOWN = 'The gateway cannot reach its policy store, so the request was not sent; retry shortly';
const AUDIT_DOWN = 'The gateway cannot write its audit log, so the request was not sent; retry shortly';
/** Resource URIs and prompt names are the upstream's strings: bounded before they are stored. */
const MAX_TARGET_LENGTH = 500;

/** The feature a completion/complete request belongs to, from its reference. */
export function completionFeature(params: Params): Feature {
  const ref = params.ref as { type?: unknown } | undefined;
  return ref?.type === 'ref/prompt' ? 'prompts' : 'resources';
}

interface Decided {
  decision: Decision;
  state: ServerState;
}

/** What a request is decided as: a feature the policy names, or a method the gateway relays without knowing it. */
export type RequestKind = Feature | 'other';

async function decide(
  services: GatewayServices,
  session: FeatureSession,
  feature: RequestKind,
  method: string,
): Promise<Decided | { storeDown: true }> {
  let state: ServerState | undefined;
  try {
    state = await services.servers.get(session.serverId);
  } catch (error) {
    services.log.error({ err: error, serverId: session.serverId }, 'policy store unavailable');
    return { storeDown: true };
  }
  if (!state) throw new JsonRpcError(ErrorCode.InvalidRequest, 'This server is no longer registered');
  return {
    decision:
      feature === 'other'
        ? decideOtherRequest(state.policy, method)
        : decideFeatureRequest(state.policy, feature),
    state,
  };
}

/** Whether the feature is allowed right now (false when the store cannot say: fail closed). */
export async function featureAllowed(
  services: GatewayServices,
  session: FeatureSession,
  feature: Feature,
): Promise<boolean> {
  try {
    const decided = await decide(services, session, feature, feature);
    return !('storeDown' in decided) && decided.decision.effect === 'allow';
  } catch {
    return false;
  }
}

/** resources/list, resources/templates/list, prompts/list: the upstream's list, or an empty one when the feature is denied. */
export async function listFeature(
  services: GatewayServices,
  session: FeatureSession,
  feature: Feature,
  method: string,
  params: Params,
  extra: AgentExtra,
  empty: Params,
): Promise<Params> {
  const decided = await decide(services, session, feature, method);
  if ('storeDown' in decided) throw new JsonRpcError(ErrorCode.InternalError, STORE_DOWN);
  if (decided.decision.effect !== 'allow') return empty;
  return session.forward(method, params, extra);
}

/**
 * resources/read, resources/subscribe, prompts/get, completion/complete: decided, audited, then
 * forwarded. `target` names what is asked for (the resource URI, the prompt name).
 */
export async function handleFeatureRequest(
  services: GatewayServices,
  session: FeatureSession,
  feature: RequestKind,
  method: string,
  params: Params,
  extra: AgentExtra,
  target: string,
): Promise<Params> {
  // Unknown methods are the agent's strings: one metric series for all of them.
  const metricLabel = feature === 'other' ? '(other)' : method;
  const { audit, metrics } = services;
  const startedAt = new Date();
  const started = performance.now();
  const { _meta: _ignored, ...args } = params;
  const auditContext: RequestAuditContext = {
    salt: services.auditSalt,
    session,
    method,
    target: target.slice(0, MAX_TARGET_LENGTH),
    args,
    requestId: String(extra.requestId),
    startedAt,
  };
  const base = (
    decision: AuditRecord['decision'],
    state: ServerState | undefined,
    rule: string | null,
    reason: string | null,
  ): AuditRecord => auditRecord(auditContext, state, decision, rule, reason);

  const decided = await decide(services, session, feature, method);
  if ('storeDown' in decided) {
    void audit.insertOrDefer({
      ...base('error', undefined, null, STORE_DOWN),
      latencyMs: performance.now() - started,
    });
    metrics.recordFeatureRequest(metricLabel, 'error');
    throw new JsonRpcError(ErrorCode.InternalError, STORE_DOWN);
  }
  const { decision, state } = decided;
  if (decision.effect !== 'allow') {
    await audit.insertOrDefer({
      ...base('deny', state, decision.rule, decision.reason ?? null),
      latencyMs: performance.now() - started,
    });
    metrics.recordFeatureRequest(metricLabel, 'deny');
    throw refusalError(
      decision,
      state.policy?.version ?? null,
      feature === 'other' ? `${method} is not allowed by policy` : `${feature} are denied by policy`,
    );
  }

  let auditId: string;
  try {
    auditId = await audit.insert({
      ...base('allow', state, decision.rule, null),
      upstreamOutcome: 'pending',
    });
  } catch (error) {
    services.log.error({ err: error }, 'audit insert failed; request not forwarded');
    void audit.insertOrDefer({
      ...base('error', state, decision.rule, AUDIT_DOWN),
      latencyMs: performance.now() - started,
    });
    metrics.recordFeatureRequest(metricLabel, 'error');
    throw new JsonRpcError(ErrorCode.InternalError, AUDIT_DOWN);
  }
  metrics.recordFeatureRequest(metricLabel, 'allow');
  try {
    const result = await session.forward(method, params, extra);
    audit.complete({ id: auditId, outcome: 'ok', error: null, latencyMs: performance.now() - started });
    return result;
  } catch (error) {
    if (error instanceof NeedsConnectionError) {
      // Behind sign-in with no usable account: not sent; the agent is told where to connect.
      audit.complete({
        id: auditId,
        outcome: 'needs_connection',
        error: error.message,
        latencyMs: performance.now() - started,
      });
      throw session.urlElicitation
        ? new JsonRpcError(ErrorCode.UrlElicitationRequired, error.message, {
            elicitations: [error.elicitation()],
          })
        : new JsonRpcError(ErrorCode.InvalidRequest, error.message);
    }
    const failure =
      error instanceof UpstreamFailure
        ? error
        : new UpstreamFailure('error', ErrorCode.InternalError, String(error));
    if (!(error instanceof UpstreamFailure)) failure.sent = false;
    const outcome = upstreamOutcomeOf(failure);
    audit.complete({
      id: auditId,
      outcome,
      error: describeFailure(failure, outcome),
      latencyMs: performance.now() - started,
    });
    if (failure.kind !== 'invalid' && failure.kind !== 'cancelled') metrics.recordUpstreamError(failure.kind);
    throw failure;
  }
}
