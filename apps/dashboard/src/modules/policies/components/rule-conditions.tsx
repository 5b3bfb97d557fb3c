// The argument conditions of one rule (first match decides): the list, and a row to add one.
import { useState } from 'react';
import {
  CONDITION_ACTIONS,
  PREDICATE_OPERATORS,
  type Condition,
  type ConditionAction,
  type PredicateOperator,
  type ToolRule,
} from '@portcullis/policy/types';
import { ACTION_LABELS } from './rule-labels';

const OPERATORS = PREDICATE_OPERATORS;
type Operator = PredicateOperator;

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

export function Conditions({
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
