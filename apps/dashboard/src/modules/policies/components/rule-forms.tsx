'use client';

// Form view of the policy document: the defaults, then one card per rule (a tool, a risk class or
// *; rule-card.tsx) with its argument conditions (rule-conditions.tsx). Every change rewrites the
// JSON draft, so the two views never disagree.
import { useEffect, useState } from 'react';
import type { PolicyDocument, ToolRule } from '@portcullis/policy/types';
import type { CatalogRow } from '../simulate';
import { replacedRule } from '../policy-warnings';
import { GuardTable, PatternList } from './guard-forms';
import { RuleCard } from './rule-card';
import { CLASS_KEYS, ruleId } from './rule-labels';

function clone(doc: PolicyDocument): PolicyDocument {
  return structuredClone(doc);
}

export function RuleForms({
  doc,
  tools,
  onChange,
  readOnly,
}: {
  doc: PolicyDocument;
  tools: CatalogRow[];
  onChange: (doc: PolicyDocument) => void;
  readOnly: boolean;
}) {
  const [newKey, setNewKey] = useState('');
  // After "Add rule" (which disables itself), focus moves into the new rule instead of to <body>.
  const [focusKey, setFocusKey] = useState<string | null>(null);
  useEffect(() => {
    if (!focusKey) return;
    document.getElementById(`${ruleId(focusKey)}-action`)?.focus();
    setFocusKey(null);
  }, [focusKey, doc]);
  const rules = Object.entries(doc.tools ?? {});
  const update = (key: string, change: (rule: ToolRule) => void) => {
    const next = clone(doc);
    next.tools ??= {};
    const rule = next.tools[key] ?? {};
    change(rule);
    next.tools[key] = rule;
    onChange(next);
  };
  const toolKeys = tools.map((t) => t.name).filter((name) => !(doc.tools ?? {})[name]);

  return (
    <fieldset disabled={readOnly} className="space-y-4">
      <div className="flex flex-wrap items-end gap-4">
        <div>
          <label htmlFor="policy-default" className="label">
            Default for tools without a rule
          </label>
          <select
            id="policy-default"
            className="input"
            value={doc.default}
            onChange={(e) => onChange({ ...clone(doc), default: e.target.value as 'allow' | 'deny' })}
          >
            <option value="deny">Deny</option>
            <option value="allow">Allow</option>
          </select>
        </div>
        {(['resources', 'prompts'] as const).map((feature) => (
          <div key={feature}>
            <label htmlFor={`policy-${feature}`} className="label">
              {feature === 'resources' ? 'Resources (read, subscribe)' : 'Prompts'}
            </label>
            <select
              id={`policy-${feature}`}
              className="input"
              value={doc[feature]?.action ?? ''}
              onChange={(e) => {
                const next = clone(doc);
                const action = e.target.value;
                if (action === 'allow' || action === 'deny') next[feature] = { ...next[feature], action };
                else delete next[feature];
                onChange(next);
              }}
            >
              <option value="">Same as default</option>
              <option value="allow">Allow</option>
              <option value="deny">Deny</option>
            </select>
          </div>
        ))}
        <div>
          <label htmlFor="policy-new-rule" className="label">
            Tool or risk class
          </label>
          <select
            id="policy-new-rule"
            className="input"
            value={newKey}
            onChange={(e) => setNewKey(e.target.value)}
          >
            <option value="">Choose…</option>
            <optgroup label="Risk classes">
              {CLASS_KEYS.filter((c) => !(doc.tools ?? {})[c.key]).map((c) => (
                <option key={c.key} value={c.key}>
                  {c.label}
                </option>
              ))}
            </optgroup>
            <optgroup label="Tools">
              {toolKeys.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </optgroup>
          </select>
        </div>
        <button
          type="button"
          className="btn"
          disabled={!newKey}
          onClick={() => {
            update(newKey, (rule) => {
              rule.action = 'allow';
            });
            setFocusKey(newKey);
            setNewKey('');
          }}
        >
          Add rule
        </button>
      </div>
      <details className="rounded-md border border-slate-200 p-3" open={Boolean(doc.guards || doc.patterns)}>
        <summary className="cursor-pointer text-sm font-semibold">
          Content guards for every tool{' '}
          <span className="font-normal text-slate-600">
            (secrets and personal data in arguments and results; a tool rule can change them)
          </span>
        </summary>
        <div className="mt-2 space-y-3">
          <GuardTable
            idPrefix="policy"
            scope="the server"
            guards={doc.guards}
            patterns={doc.patterns}
            allowOff={false}
            onChange={(guards) => {
              const next = clone(doc);
              if (guards) next.guards = guards;
              else delete next.guards;
              onChange(next);
            }}
          />
          <PatternList
            patterns={doc.patterns}
            onChange={(patterns, removed) => {
              const next = clone(doc);
              if (patterns) next.patterns = patterns;
              else delete next.patterns;
              if (removed) {
                // A removed pattern's guards go with it (a guard naming a missing pattern is invalid).
                const drop = (g: PolicyDocument['guards']) => {
                  for (const direction of ['arguments', 'results'] as const)
                    delete g?.[direction]?.[`pattern:${removed}`];
                };
                drop(next.guards);
                for (const rule of Object.values(next.tools ?? {})) drop(rule.guards);
              }
              onChange(next);
            }}
          />
        </div>
      </details>
      {rules.length === 0 ? <p className="muted">No rules yet: every tool gets the default.</p> : null}
      <ul className="space-y-3">
        {rules.map(([key, rule]) => (
          <li key={key}>
            <RuleCard
              ruleKey={key}
              rule={rule}
              patterns={doc.patterns}
              replaces={replacedRule(doc, key, tools)}
              onChange={(change) => update(key, change)}
              onRemove={() => {
                const next = clone(doc);
                delete next.tools?.[key];
                onChange(next);
              }}
            />
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
