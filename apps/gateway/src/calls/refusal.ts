// How a refusal by policy reaches the agent, built one way from the decision: for tools/call an
// isError result (the agent's model reads it and can act), for resources, prompts and completions
// (which have no error result) a JSON-RPC error with the same text and the same decision in its data.
import { ErrorCode, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { refusalText } from '@portcullis/policy/refusal-text';
import type { Decision } from '@portcullis/policy/types';
import { JsonRpcError } from '../errors.ts';

/** `_meta["portcullis/decision"]` of a refusal: what was decided, by which rule and version. */
function decisionMeta(decision: Decision, policyVersion: number | null, approvalId: string | null) {
  const retryAfterSeconds =
    decision.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return {
    'portcullis/decision': {
      effect: decision.effect,
      rule: decision.rule,
      reason: decision.reason ?? null,
      policyVersion,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      ...(approvalId ? { approvalId } : {}),
    },
  };
}

export function refusalResult(
  decision: Decision,
  policyVersion: number | null,
  approvalId: string | null = null,
): CallToolResult {
  return {
    content: [{ type: 'text', text: refusalText(decision) }],
    isError: true,
    _meta: decisionMeta(decision, policyVersion, approvalId),
  };
}

export function refusalError(
  decision: Decision,
  policyVersion: number | null,
  fallback: string,
): JsonRpcError {
  return new JsonRpcError(
    ErrorCode.InvalidRequest,
    refusalText(decision, fallback),
    decisionMeta({ ...decision, effect: 'deny' }, policyVersion, null),
  );
}
