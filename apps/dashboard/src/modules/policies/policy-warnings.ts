// What a valid draft may still get wrong, said as warnings (the draft can be saved): rules for tools
// the catalog does not have, and a tool rule that replaces its risk class rule (rules never merge).
import type { PolicyDocument, RiskCategory } from '@portcullis/policy/types';
import { compileActivePolicy, toolEffect } from '../catalog/policy-effect';

export interface PolicyWarning {
  pointer: string;
  message: string;
}

const isToolKey = (key: string) => key !== '*' && !key.startsWith('@');

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function policyWarnings(doc: PolicyDocument, tools: ReadonlyArray<{ name: string }>): PolicyWarning[] {
  const names = new Set(tools.map((t) => t.name));
  return Object.keys(doc.tools ?? {})
    .filter((key) => isToolKey(key) && !names.has(key))
    .map((key) => {
      const near = tools.map((t) => t.name).find((name) => distance(name, key) <= 2);
      return {
        pointer: `/tools/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `${key} is not in this server’s catalog: the rule applies only if the server adds such a tool.${near ? ` Did you mean ${near}?` : ''}`,
      };
    });
}

/** For a tool rule: the class (or `*`) rule it replaces for that tool and what that rule would do; else null. */
export function replacedRule(
  doc: PolicyDocument,
  key: string,
  tools: ReadonlyArray<{ name: string; category: RiskCategory }>,
): string | null {
  const tool = tools.find((t) => t.name === key);
  if (!isToolKey(key) || !tool) return null;
  const rest = structuredClone(doc);
  delete rest.tools?.[key];
  const without = toolEffect(compileActivePolicy(rest), tool);
  if (without.rule === 'default' || without.rule === 'no policy') return null;
  return `This rule replaces the ${without.rule} rule for ${key} (which would give: ${without.label}); rules are never merged.`;
}
