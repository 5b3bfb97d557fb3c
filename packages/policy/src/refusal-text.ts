// The sentence an agent reads when a call is refused, written once for the gateway's tools/call and
// feature requests alike.
import type { Decision } from './types.ts';

/** `/tools/x` becomes `(/tools/x)`; pseudo-rules such as `(catalog)` already wear their parentheses. */
function ruleLabel(rule: string): string {
  return rule.startsWith('(') && rule.endsWith(')') ? rule : `(${rule})`;
}

export function refusalText(decision: Decision, fallback = 'This tool call is denied by policy.'): string {
  if (decision.effect === 'rate_limited') {
    // applyCounterResults' reason already names the limit and the retry time.
    const reason = decision.reason?.replace(/^Rate limit reached: /, '');
    const seconds = Math.max(1, Math.ceil((decision.retryAfterMs ?? 1000) / 1000));
    return `Rate limited by ${decision.rule}: ${reason ?? `retry in ${seconds} s.`}`;
  }
  return `Denied by policy ${ruleLabel(decision.rule)}: ${decision.reason ?? fallback}`;
}
