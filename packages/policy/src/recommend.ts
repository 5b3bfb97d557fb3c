// A starting policy for a newly registered server, built from its tools' risk classes.

import type { ToolClassification } from './classify.ts';
import type { PolicyDocument, RiskCategory, ToolRule } from './types.ts';

export const RECOMMENDED_WRITE_LIMIT = { max: 30, window: 'minute', scope: 'grant' } as const;

const CLASS_RULES: Record<RiskCategory, [key: string, rule: ToolRule]> = {
  read: ['@read', { action: 'allow' }],
  write: ['@write', { action: 'allow', rate_limit: { ...RECOMMENDED_WRITE_LIMIT } }],
  destructive: [
    '@destructive',
    { action: 'require_approval', reason: 'Destructive tools need a person to approve each call.' },
  ],
};

/**
 * Default deny; reads allowed; writes allowed at 30 per minute per grant (one budget shared by all
 * write tools); destructive calls need approval. Only classes present among `tools` get a rule, so
 * a tool of a new class added later by the server stays denied until someone reviews it. Secrets
 * found in any result are redacted.
 */
export function recommendPolicy(
  tools: ReadonlyArray<{ classification: Pick<ToolClassification, 'category'> }>,
): PolicyDocument {
  const present = new Set(tools.map((tool) => tool.classification.category));
  const rules: Record<string, ToolRule> = {};
  for (const category of ['read', 'write', 'destructive'] as const) {
    if (!present.has(category)) continue;
    const [key, rule] = CLASS_RULES[category];
    rules[key] = structuredClone(rule);
  }
  // Secrets in results are redacted before the agent (and the model behind it) sees them.
  return { version: '1', default: 'deny', tools: rules, guards: { results: { secrets: 'redact' } } };
}
