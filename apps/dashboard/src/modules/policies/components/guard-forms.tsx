'use client';

// The content guards of the form view: a table of detectors × directions (arguments, results) with
// the action of each (block, redact, flag; a tool rule may also turn a server-wide guard off), and
// the tenant's own patterns (RE2 syntax, checked at save). Every change rewrites the JSON draft.
import { useState } from 'react';
import {
  BUILT_IN_DETECTORS,
  GUARD_DIRECTIONS,
  PATTERN_NAME,
  PATTERN_PREFIX,
  type GuardAction,
  type GuardDirection,
  type GuardSettings,
} from '@portcullis/policy/guards';

const DETECTOR_LABEL: Record<(typeof BUILT_IN_DETECTORS)[number], string> = {
  secrets: 'Secrets (keys, tokens, private keys, JWTs)',
  email: 'E-mail addresses',
  phone: 'Phone numbers',
  payment_card: 'Payment card numbers',
  iban: 'IBANs',
  national_id: 'US social security numbers',
  injection: 'Injected instructions',
};
const DIRECTION_LABEL: Record<GuardDirection, string> = { arguments: 'Arguments', results: 'Results' };
const ACTION_LABEL: Record<GuardAction, string> = {
  block: 'Block',
  redact: 'Redact',
  flag: 'Flag',
  off: 'Off for this tool',
};

/** The guards with one detector's action in one direction set (or removed with ''). */
export function withGuard(
  guards: GuardSettings | undefined,
  direction: GuardDirection,
  detector: string,
  action: GuardAction | '',
): GuardSettings | undefined {
  const next: GuardSettings = structuredClone(guards ?? {});
  const actions = { ...(next[direction] ?? {}) };
  if (action === '') delete actions[detector];
  else actions[detector] = action;
  if (Object.keys(actions).length > 0) next[direction] = actions;
  else delete next[direction];
  return Object.keys(next).length > 0 ? next : undefined;
}

export function GuardTable({
  idPrefix,
  scope,
  guards,
  patterns,
  allowOff,
  onChange,
}: {
  idPrefix: string;
  /** Said in each control's label: "the server" or the rule's key. */
  scope: string;
  guards: GuardSettings | undefined;
  patterns: Record<string, string> | undefined;
  allowOff: boolean;
  onChange: (next: GuardSettings | undefined) => void;
}) {
  const detectors: Array<[string, string]> = [
    ...BUILT_IN_DETECTORS.map((d) => [d, DETECTOR_LABEL[d]] as [string, string]),
    ...Object.keys(patterns ?? {}).map(
      (name) => [`${PATTERN_PREFIX}${name}`, `Pattern ${name}`] as [string, string],
    ),
  ];
  const actions: GuardAction[] = allowOff ? ['block', 'redact', 'flag', 'off'] : ['block', 'redact', 'flag'];
  return (
    <table className="table text-xs">
      <thead>
        <tr>
          <th scope="col">Detector</th>
          {GUARD_DIRECTIONS.map((direction) => (
            <th key={direction} scope="col">
              {DIRECTION_LABEL[direction]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {detectors.map(([detector, label]) => (
          <tr key={detector}>
            <th scope="row" className="font-normal">
              {label}
            </th>
            {GUARD_DIRECTIONS.map((direction) => {
              const id = `${idPrefix}-guard-${direction}-${detector.replace(/[^A-Za-z0-9_-]/g, '_')}`;
              return (
                <td key={direction}>
                  <label htmlFor={id} className="sr-only">
                    {label} in {direction} for {scope}
                  </label>
                  <select
                    id={id}
                    className="input py-0.5 text-xs"
                    value={guards?.[direction]?.[detector] ?? ''}
                    onChange={(e) =>
                      onChange(withGuard(guards, direction, detector, e.target.value as GuardAction | ''))
                    }
                  >
                    <option value="">{allowOff ? 'As the server' : 'Not checked'}</option>
                    {actions.map((a) => (
                      <option key={a} value={a}>
                        {ACTION_LABEL[a]}
                      </option>
                    ))}
                  </select>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The tenant's named patterns: add (name and RE2 expression), edit the expression, remove. */
export function PatternList({
  patterns,
  onChange,
}: {
  patterns: Record<string, string> | undefined;
  /** The new patterns, and the name of one removed (its guards go with it). */
  onChange: (next: Record<string, string> | undefined, removed?: string) => void;
}) {
  const [name, setName] = useState('');
  const [source, setSource] = useState('');
  const entries = Object.entries(patterns ?? {});
  const nameOk = PATTERN_NAME.test(name) && !(patterns ?? {})[name];
  return (
    <div className="space-y-2">
      {entries.map(([key, value]) => (
        <div key={key} className="flex flex-wrap items-end gap-2">
          <div className="min-w-64 flex-1">
            <label htmlFor={`pattern-${key}`} className="label">
              Pattern {key} (RE2)
            </label>
            <input
              id={`pattern-${key}`}
              className="input w-full font-mono text-xs"
              value={value}
              onChange={(e) => onChange({ ...patterns, [key]: e.target.value })}
            />
          </div>
          <button
            type="button"
            className="btn btn-sm btn-danger"
            onClick={() => {
              const next = { ...patterns };
              delete next[key];
              onChange(Object.keys(next).length ? next : undefined, key);
            }}
          >
            Remove pattern {key}
          </button>
        </div>
      ))}
      <div className="flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="pattern-new-name" className="label">
            New pattern name
          </label>
          <input
            id="pattern-new-name"
            className="input w-40 font-mono text-xs"
            value={name}
            placeholder="e.g. ticket"
            aria-describedby="pattern-new-help"
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div className="min-w-64 flex-1">
          <label htmlFor="pattern-new-source" className="label">
            Expression (RE2)
          </label>
          <input
            id="pattern-new-source"
            className="input w-full font-mono text-xs"
            value={source}
            placeholder="e.g. TICKET-[0-9]{4}"
            onChange={(e) => setSource(e.target.value)}
          />
        </div>
        <button
          type="button"
          className="btn btn-sm"
          disabled={!nameOk || !source}
          onClick={() => {
            onChange({ ...patterns, [name]: source });
            setName('');
            setSource('');
          }}
        >
          Add pattern
        </button>
      </div>
      <p id="pattern-new-help" className="muted text-xs">
        Names: a lowercase letter, then letters, digits or _ (up to 40). Expressions run on RE2 (linear time:
        no backreferences or lookaround); one RE2 cannot compile is refused when you save.
      </p>
    </div>
  );
}
