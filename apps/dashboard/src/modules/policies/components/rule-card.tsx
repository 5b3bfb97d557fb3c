// One rule of the policy's form view: its action, reason, rate limit and approval timeout, and its
// argument conditions.
import {
  COUNTER_SCOPES,
  WINDOW_NAMES,
  type CounterScope,
  type RuleAction,
  type ToolRule,
} from '@portcullis/policy/types';
import { GuardTable } from './guard-forms';
import { Conditions } from './rule-conditions';
import { ACTIONS, ruleId, SCOPE_LABELS } from './rule-labels';

export function RuleCard({
  ruleKey,
  rule,
  patterns,
  replaces,
  onChange,
  onRemove,
}: {
  ruleKey: string;
  rule: ToolRule;
  /** The policy's tenant patterns (a rule's guards may name them). */
  patterns?: Record<string, string> | undefined;
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
      <details className="mt-2 text-xs" open={Boolean(rule.guards)}>
        <summary className="cursor-pointer text-sky-800">Content guards for {ruleKey}</summary>
        <div className="mt-1">
          <GuardTable
            idPrefix={id}
            scope={ruleKey}
            guards={rule.guards}
            patterns={patterns}
            allowOff
            onChange={(guards) =>
              onChange((r) => {
                if (guards) r.guards = guards;
                else delete r.guards;
              })
            }
          />
        </div>
      </details>
      {rule.limits?.length ? (
        <p className="mt-2 text-xs text-slate-500">
          {rule.limits.length} further limit(s): edit them in the JSON view.
        </p>
      ) : null}
    </div>
  );
}
