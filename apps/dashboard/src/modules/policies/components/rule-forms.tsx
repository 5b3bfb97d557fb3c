'use client';

// Form view of the policy document: one card per rule (a tool, a risk class or *). Every change
// rewrites the JSON draft, so the two views never disagree.
import { useEffect, useState } from 'react';
import {
  CONDITION_ACTIONS,
  COUNTER_SCOPES,
  PREDICATE_OPERATORS,
  RULE_ACTIONS,
  WINDOW_NAMES,
  type Condition,
  type ConditionAction,
  type CounterScope,
  type PolicyDocument,
  type PredicateOperator,
  type RuleAction,
  type ToolRule,
} from '@portcullis/policy/types';
import type { EditorTool } from './policy-editor';
import { replacedRule } from '../policy-warnings';

const ruleId = (key: string) => `rule-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

const CLASS_KEYS = [
  { key: '@read', label: 'All read tools (@read)' },
  { key: '@write', label: 'All write tools (@write)' },
  { key: '@destructive', label: 'All destructive tools (@destructive)' },
  { key: '*', label: 'Every tool (*)' },
];
// The values come from packages/policy; only their labels live here.
const ACTION_LABELS: Record<RuleAction, string> = {
  allow: 'Allow',
  deny: 'Deny',
  hide: 'Hide',
  require_approval: 'Require approval',
};
const ACTIONS = RULE_ACTIONS.map((value) => ({ value, label: ACTION_LABELS[value] }));
const OPERATORS = PREDICATE_OPERATORS;
type Operator = PredicateOperator;
const SCOPE_LABELS: Record<CounterScope, string> = {
  grant: 'grant',
  session: 'session',
  server: 'server',
  org: 'organization',
  upstream: 'upstream account',
};

function clone(doc: PolicyDocument): PolicyDocument {
  return structuredClone(doc);
}

/** Reads the value typed into a condition: JSON when it parses (numbers, lists, true), else text. */
function operand(op: Operator, raw: string): unknown {
  if (op === 'exists') return raw !== 'false';
  if (op === 'regex') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function RuleForms({
  doc,
  tools,
  onChange,
  readOnly,
}: {
  doc: PolicyDocument;
  tools: EditorTool[];
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
      {rules.length === 0 ? <p className="muted">No rules yet: every tool gets the default.</p> : null}
      <ul className="space-y-3">
        {rules.map(([key, rule]) => (
          <li key={key}>
            <RuleCard
              ruleKey={key}
              rule={rule}
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

function RuleCard({
  ruleKey,
  rule,
  replaces,
  onChange,
  onRemove,
}: {
  ruleKey: string;
  rule: ToolRule;
  /** The class rule this tool rule replaces, said in a sentence. */
  replaces: string | null;
  onChange: (change: (rule: ToolRule) => void) => void;
  onRemove: () => void;
}) {
  const id = ruleId(ruleKey);
  const limit = rule.rate_limit;
  return (
    <div className="rounded-md border border-slate-200 p-3" aria-labelledby={`${id}-title`} role="group">
      <div className="flex items-center justify-between gap-2">
        <h3 id={`${id}-title`} className="font-mono text-sm font-semibold">
          {ruleKey}
        </h3>
        <button type="button" className="btn btn-sm btn-danger" onClick={onRemove}>
          Remove rule for {ruleKey}
        </button>
      </div>
      {replaces ? <p className="mt-1 text-xs text-amber-900">{replaces}</p> : null}
      <div className="mt-2 grid gap-3 md:grid-cols-4">
        <div>
          <label htmlFor={`${id}-action`} className="label">
            Action for {ruleKey}
          </label>
          <select
            id={`${id}-action`}
            className="input"
            value={rule.action ?? 'allow'}
            onChange={(e) =>
              onChange((r) => {
                r.action = e.target.value as RuleAction;
              })
            }
          >
            {ACTIONS.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <div className="md:col-span-3">
          <label htmlFor={`${id}-reason`} className="label">
            Reason for {ruleKey}
          </label>
          <input
            id={`${id}-reason`}
            className="input"
            value={rule.reason ?? ''}
            placeholder="Shown to the agent when a call is not allowed"
            onChange={(e) =>
              onChange((r) => {
                if (e.target.value) r.reason = e.target.value;
                else delete r.reason;
              })
            }
          />
        </div>
        <div>
          <label htmlFor={`${id}-max`} className="label">
            Rate limit: calls for {ruleKey}
          </label>
          <input
            id={`${id}-max`}
            type="number"
            min={1}
            className="input"
            value={limit?.max ?? ''}
            placeholder="No limit"
            onChange={(e) =>
              onChange((r) => {
                const max = Number(e.target.value);
                if (!e.target.value || !Number.isFinite(max)) delete r.rate_limit;
                else r.rate_limit = { window: 'minute', scope: 'grant', ...r.rate_limit, max };
              })
            }
          />
        </div>
        <div>
          <label htmlFor={`${id}-window`} className="label">
            Rate limit: per
          </label>
          <select
            id={`${id}-window`}
            className="input"
            disabled={!limit}
            value={typeof limit?.window === 'string' ? limit.window : 'minute'}
            onChange={(e) =>
              onChange((r) => {
                if (r.rate_limit) r.rate_limit.window = e.target.value as (typeof WINDOW_NAMES)[number];
              })
            }
          >
            {WINDOW_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-scope`} className="label">
            Rate limit: counted per
          </label>
          <select
            id={`${id}-scope`}
            className="input"
            disabled={!limit}
            value={limit?.scope ?? 'grant'}
            onChange={(e) =>
              onChange((r) => {
                if (r.rate_limit) r.rate_limit.scope = e.target.value as CounterScope;
              })
            }
          >
            {COUNTER_SCOPES.map((scope) => (
              <option key={scope} value={scope}>
                {SCOPE_LABELS[scope]}
              </option>
            ))}
          </select>
        </div>
        {rule.action === 'require_approval' ? (
          <div>
            <label htmlFor={`${id}-timeout`} className="label">
              Approval timeout (s)
            </label>
            <input
              id={`${id}-timeout`}
              type="number"
              min={1}
              className="input"
              value={rule.approval?.timeout ?? ''}
              placeholder="Policy default"
              onChange={(e) =>
                onChange((r) => {
                  const timeout = Number(e.target.value);
                  if (!e.target.value || !Number.isFinite(timeout)) delete r.approval;
                  else r.approval = { timeout };
                })
              }
            />
          </div>
        ) : null}
      </div>
      <Conditions ruleKey={ruleKey} id={id} conditions={rule.conditions ?? []} onChange={onChange} />
      {rule.limits?.length ? (
        <p className="mt-2 text-xs text-slate-500">
          {rule.limits.length} further limit(s): edit them in the JSON view.
        </p>
      ) : null}
    </div>
  );
}

function Conditions({
  ruleKey,
  id,
  conditions,
  onChange,
}: {
  ruleKey: string;
  id: string;
  conditions: Condition[];
  onChange: (change: (rule: ToolRule) => void) => void;
}) {
  const [arg, setArg] = useState('');
  const [op, setOp] = useState<Operator>('equals');
  const [value, setValue] = useState('');
  const [action, setAction] = useState<ConditionAction>('deny');
  return (
    <div className="mt-3 border-t border-slate-100 pt-2">
      <p className="text-xs font-medium text-slate-600">Argument conditions (first match decides)</p>
      {conditions.length ? (
        <ol className="mt-1 space-y-1 text-xs">
          {conditions.map((c, i) => (
            <li key={i} className="flex items-center gap-2">
              <span className="font-mono">
                when {JSON.stringify(c.when)} → {c.action}
                {c.reason ? ` (${c.reason})` : ''}
              </span>
              <button
                type="button"
                className="btn btn-sm"
                onClick={() =>
                  onChange((r) => {
                    r.conditions = (r.conditions ?? []).filter((_, k) => k !== i);
                    if (!r.conditions.length) delete r.conditions;
                  })
                }
              >
                Remove condition {i + 1} of {ruleKey}
              </button>
            </li>
          ))}
        </ol>
      ) : null}
      <div className="mt-2 flex flex-wrap items-end gap-2">
        <label className="text-xs">
          Argument
          <input
            id={`${id}-cond-arg`}
            className="input mt-0.5 w-36 font-mono"
            value={arg}
            onChange={(e) => setArg(e.target.value)}
            placeholder="text"
          />
        </label>
        <label className="text-xs">
          Operator
          <select className="input mt-0.5" value={op} onChange={(e) => setOp(e.target.value as Operator)}>
            {OPERATORS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label className="text-xs">
          Value
          <input
            className="input mt-0.5 w-44 font-mono"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            placeholder='"x" or 10 or ["a","b"]'
          />
        </label>
        <label className="text-xs">
          Then
          <select
            className="input mt-0.5"
            value={action}
            onChange={(e) => setAction(e.target.value as ConditionAction)}
          >
            {CONDITION_ACTIONS.map((value) => (
              <option key={value} value={value}>
                {ACTION_LABELS[value]}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn btn-sm"
          disabled={!arg}
          onClick={() => {
            onChange((r) => {
              r.conditions = [...(r.conditions ?? []), { when: { arg, [op]: operand(op, value) }, action }];
            });
            setArg('');
            setValue('');
          }}
        >
          Add condition to {ruleKey}
        </button>
      </div>
    </div>
  );
}
