// The content guards of one tools/call (packages/guardrails): the arguments before they are
// forwarded, the result before the agent sees it. What fired is recorded (detector, where, how many,
// what was done) for the audit row and the metrics, never the matched text.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  blockedReason,
  guardArguments,
  guardResult,
  type GuardFinding,
  type GuardOutcome,
} from '@portcullis/guardrails/scan';
import { guardsForCall } from '@portcullis/policy/decide';
import type { EffectiveGuards } from '@portcullis/policy/guards';
import type { AuditGuardFinding } from '../audit/audit-types.ts';
import { storableText } from '../audit/storable-text.ts';
import type { GatewayMetrics } from '../ops/metrics.ts';
import type { ServerState } from '../state/server-state.ts';

const NO_PATTERNS: Readonly<Record<string, string>> = Object.freeze({});

export class CallGuards {
  readonly findings: AuditGuardFinding[] = [];
  private readonly guards: EffectiveGuards;
  private readonly patterns: Readonly<Record<string, string>>;

  constructor(
    state: ServerState,
    toolName: string,
    private readonly metrics: GatewayMetrics,
  ) {
    this.guards = guardsForCall(state.policy, state.tools.get(toolName), toolName);
    this.patterns = state.policy?.ok ? state.policy.compiled.patterns : NO_PATTERNS;
  }

  /** Guards on the arguments: the value to forward (maybe redacted), what to audit, and a block. */
  onArguments(args: Record<string, unknown>): GuardOutcome<Record<string, unknown>> {
    const outcome = guardArguments(args, this.guards.arguments, this.patterns);
    this.record('arguments', outcome.findings);
    return outcome;
  }

  /** Guards on the result: what the agent gets (a refusal in place of a blocked result) and what to audit. */
  onResult(result: CallToolResult): { result: CallToolResult; audited: CallToolResult } {
    const outcome = guardResult(result, this.guards.results, this.patterns);
    this.record('results', outcome.findings);
    if (outcome.blocked)
      return {
        result: {
          content: [{ type: 'text', text: blockedReason('result', outcome.blocked) }],
          isError: true,
          _meta: { 'portcullis/guard': { detector: outcome.blocked.detector, direction: 'results' } },
        },
        audited: outcome.audited,
      };
    return { result: outcome.value, audited: outcome.audited };
  }

  private record(direction: AuditGuardFinding['direction'], found: GuardFinding[]): void {
    for (const f of found) {
      this.findings.push({
        direction,
        detector: f.detector,
        // Keys of the agent's arguments are in the pointer: storable and bounded.
        where: storableText(f.where.length > 200 ? `${f.where.slice(0, 200)}…` : f.where),
        count: f.count,
        action: f.action,
      });
      this.metrics.recordGuard(f.detector, direction, f.action, f.count);
    }
  }
}
