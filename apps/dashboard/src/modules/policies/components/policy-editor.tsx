'use client';

import Link from 'next/link';
import { useActionState, useEffect, useMemo, useRef, useState } from 'react';
import { validatePolicy } from '@portcullis/policy/validate';
import { simulateCall, type CatalogRow } from '../simulate';
import type { PolicyDocument } from '@portcullis/policy/types';
import { FormStatus } from '../../../components/form-status';
import { lineOf, locatePointers, rangeForPointer } from '../json-locate';
import { replayPolicyAction, savePolicyAction } from '../actions';
import { JsonCodeEditor, type EditorDiagnostic } from './json-code-editor';
import { RuleForms } from './rule-forms';
import { policyWarnings } from '../policy-warnings';

const LEAVE_QUESTION = 'This policy draft has unsaved changes. Leave without saving?';

/** While the draft differs from what was saved, leaving (reload, close, any link) asks first. */
function useLeaveGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    // Client-side navigation (next/link) fires no beforeunload: catch link clicks before React does.
    const click = (event: MouseEvent) => {
      const link = (event.target as Element | null)?.closest?.('a[href]');
      if (
        !(link instanceof HTMLAnchorElement) ||
        link.target === '_blank' ||
        event.defaultPrevented ||
        event.button !== 0
      )
        return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      if (!window.confirm(LEAVE_QUESTION)) {
        event.preventDefault();
        event.stopPropagation();
      }
    };
    window.addEventListener('beforeunload', beforeUnload);
    document.addEventListener('click', click, true);
    return () => {
      window.removeEventListener('beforeunload', beforeUnload);
      document.removeEventListener('click', click, true);
    };
  }, [dirty]);
}

/** A catalog tool as the editor needs it: its risk class, and what simulation needs (see simulate.ts). */
export type EditorTool = CatalogRow;

type Parsed = { ok: true; value: unknown } | { ok: false; message: string; offset: number };

function parseText(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : 'Invalid JSON';
    const match = /position (\d+)/.exec(message);
    return { ok: false, message, offset: match ? Number(match[1]) : 0 };
  }
}

export function pretty(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function PolicyEditor({
  orgSlug,
  serverId,
  initialText,
  recommended,
  tools,
  canEdit,
}: {
  orgSlug: string;
  serverId: string;
  initialText: string;
  recommended: PolicyDocument;
  tools: EditorTool[];
  canEdit: boolean;
}) {
  const [text, setText] = useState(initialText);
  const [view, setView] = useState<'rules' | 'json'>('rules');
  const [saveState, saveAction, saving] = useActionState(savePolicyAction, null);
  const [savedText, setSavedText] = useState(initialText);
  const submitted = useRef(initialText);
  useEffect(() => {
    if (saveState?.ok) setSavedText(submitted.current);
  }, [saveState]);
  useLeaveGuard(canEdit && text !== savedText);

  const parsed = useMemo(() => parseText(text), [text]);
  const validation = useMemo(() => (parsed.ok ? validatePolicy(parsed.value) : null), [parsed]);
  const errors = useMemo(() => {
    if (!parsed.ok)
      return [
        {
          pointer: '',
          message: `Not valid JSON: ${parsed.message}`,
          from: parsed.offset,
          to: parsed.offset + 1,
        },
      ];
    if (!validation || validation.ok) return [];
    const ranges = locatePointers(text);
    return validation.errors.map((e) => {
      const range = rangeForPointer(ranges, e.pointer) ?? { from: 0, to: 1 };
      return { ...e, from: range.from, to: range.to };
    });
  }, [parsed, validation, text]);
  const diagnostics: EditorDiagnostic[] = errors.map((e) => ({
    from: e.from,
    to: e.to,
    message: `${e.pointer || '/'} ${e.message}`,
  }));
  const doc = validation?.ok ? validation.policy : null;
  const warnings = useMemo(() => (doc ? policyWarnings(doc, tools) : []), [doc, tools]);
  const objectDoc =
    parsed.ok && parsed.value && typeof parsed.value === 'object' && !Array.isArray(parsed.value)
      ? (parsed.value as PolicyDocument)
      : null;

  return (
    <div className="space-y-5">
      <section aria-labelledby="editor-heading" className="card p-5">
        <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
          <h2 id="editor-heading" className="h2">
            Draft
          </h2>
          <div className="flex flex-wrap gap-2">
            <div
              role="group"
              aria-label="Editor view"
              className="inline-flex rounded-md border border-slate-300"
            >
              <button
                type="button"
                aria-pressed={view === 'rules'}
                className={`px-3 py-1 text-sm ${view === 'rules' ? 'bg-slate-900 text-white' : ''}`}
                onClick={() => setView('rules')}
              >
                Rules
              </button>
              <button
                type="button"
                aria-pressed={view === 'json'}
                className={`px-3 py-1 text-sm ${view === 'json' ? 'bg-slate-900 text-white' : ''}`}
                onClick={() => setView('json')}
              >
                JSON
              </button>
            </div>
            {canEdit ? (
              <button type="button" className="btn" onClick={() => setText(pretty(recommended))}>
                Use recommended policy
              </button>
            ) : null}
          </div>
        </div>

        <PolicyHelp />
        <form action={saveAction} className="space-y-3" onSubmit={() => (submitted.current = text)}>
          <input type="hidden" name="orgSlug" value={orgSlug} />
          <input type="hidden" name="serverId" value={serverId} />
          {view === 'rules' ? (
            <>
              <input type="hidden" name="document" value={text} />
              {objectDoc ? (
                <RuleForms
                  doc={objectDoc}
                  tools={tools}
                  onChange={(next) => setText(pretty(next))}
                  readOnly={!canEdit}
                />
              ) : (
                <p className="text-sm text-red-700">
                  The JSON cannot be parsed; fix it in the JSON view first.
                </p>
              )}
            </>
          ) : (
            <JsonCodeEditor
              value={text}
              onChange={setText}
              diagnostics={diagnostics}
              label="Policy JSON"
              name="document"
              readOnly={!canEdit}
            />
          )}
          <div aria-live="polite" id="policy-validation">
            {errors.length === 0 ? (
              <>
                <p className="text-sm text-emerald-800">
                  {warnings.length
                    ? `Valid policy, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}:`
                    : 'Valid policy.'}
                </p>
                {warnings.length ? (
                  <ul className="mt-1 space-y-0.5 rounded-md border border-amber-200 bg-amber-50 p-3 text-xs text-amber-900">
                    {warnings.map((w) => (
                      <li key={w.pointer}>
                        <span className="font-mono">{w.pointer}</span>: {w.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </>
            ) : (
              <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3">
                <p className="text-sm font-medium text-red-800">
                  {errors.length} problem{errors.length === 1 ? '' : 's'}:
                </p>
                <ul className="mt-1 space-y-0.5 font-mono text-xs text-red-800">
                  {errors.slice(0, 50).map((e, i) => (
                    <li key={i}>
                      line {lineOf(text, e.from)} · {e.pointer || '/'}: {e.message}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
          {canEdit ? (
            <div className="flex flex-wrap items-end gap-3">
              <div className="min-w-64 flex-1">
                <label htmlFor="policy-message" className="label">
                  Change note (optional)
                </label>
                <input
                  id="policy-message"
                  name="message"
                  className="input"
                  maxLength={500}
                  placeholder="What changed and why"
                />
              </div>
              <button type="submit" className="btn btn-primary" disabled={saving || errors.length > 0}>
                {saving ? 'Saving…' : 'Save policy'}
              </button>
            </div>
          ) : null}
          <FormStatus state={saveState} />
        </form>
      </section>
      <Simulator doc={doc} tools={tools} />
      <Replay orgSlug={orgSlug} serverId={serverId} text={text} valid={Boolean(doc)} />
    </div>
  );
}

function PolicyHelp() {
  return (
    <div className="mb-3 rounded-md border border-slate-200 bg-slate-50 p-3 text-xs text-slate-700">
      <p>
        One rule decides each tool: its own rule, else its risk class (
        <span className="font-mono">@read</span>, <span className="font-mono">@write</span>,{' '}
        <span className="font-mono">@destructive</span>), else <span className="font-mono">*</span>, else the
        default. Rules are never merged: a tool rule replaces its class rule, limits included.
      </p>
      <p className="mt-1">
        <strong>Deny</strong> refuses calls with your reason. <strong>Hide</strong> also removes the tool from
        the agent’s tools/list. A denied tool without conditions is also left out of tools/list, since no call
        could succeed; with conditions it stays listed.{' '}
        <Link href="/docs/policy" className="text-sky-800 underline">
          Policy language reference
        </Link>
      </p>
    </div>
  );
}

function Simulator({ doc, tools }: { doc: PolicyDocument | null; tools: EditorTool[] }) {
  const [tool, setTool] = useState(tools[0]?.name ?? '');
  const [args, setArgs] = useState('{}');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <section aria-labelledby="simulate-heading" className="card p-5">
      <h2 id="simulate-heading" className="h2">
        Simulate a call
      </h2>
      <p className="muted mb-3">Evaluates the draft above (rate-limit counters are not consumed).</p>
      <form
        className="grid gap-3 md:grid-cols-[16rem_1fr_auto] md:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          setResult(null);
          if (!doc) return setError('Fix the draft first: it is not a valid policy.');
          let parsedArgs: unknown;
          try {
            parsedArgs = JSON.parse(args || '{}');
          } catch {
            return setError('Arguments must be a JSON object, e.g. {"text": "hello"}.');
          }
          if (!parsedArgs || typeof parsedArgs !== 'object' || Array.isArray(parsedArgs))
            return setError('Arguments must be a JSON object.');
          const decision = simulateCall(
            doc,
            new Map(tools.map((t) => [t.name, t])),
            tool,
            parsedArgs as Record<string, unknown>,
          );
          const limits = decision.counters
            .map((c) => `${c.max} per ${c.windowMs / 1000} s per ${c.scope}`)
            .join(', ');
          setResult(
            `${decision.effect} — rule ${decision.rule}${decision.reason ? ` — “${decision.reason}”` : ''}${limits ? ` — limits: ${limits}` : ''}`,
          );
        }}
      >
        <div>
          <label htmlFor="sim-tool" className="label">
            Tool
          </label>
          <input
            id="sim-tool"
            list="sim-tools"
            className="input font-mono"
            value={tool}
            onChange={(e) => setTool(e.target.value)}
          />
          <datalist id="sim-tools">
            {tools.map((t) => (
              <option key={t.name} value={t.name} />
            ))}
          </datalist>
        </div>
        <div>
          <label htmlFor="sim-args" className="label">
            Arguments (JSON)
          </label>
          <input
            id="sim-args"
            className="input font-mono"
            value={args}
            onChange={(e) => setArgs(e.target.value)}
          />
        </div>
        <button type="submit" className="btn">
          Simulate
        </button>
      </form>
      <div aria-live="polite" className="mt-3 text-sm">
        {error ? <p className="text-red-700">{error}</p> : null}
        {result ? (
          <p>
            Decision: <span className="font-mono">{result}</span>
          </p>
        ) : null}
      </div>
    </section>
  );
}

function Replay({
  orgSlug,
  serverId,
  text,
  valid,
}: {
  orgSlug: string;
  serverId: string;
  text: string;
  valid: boolean;
}) {
  const [state, action, pending] = useActionState(replayPolicyAction, null);
  const data = state?.ok ? state.data : null;
  return (
    <section aria-labelledby="replay-heading" className="card p-5">
      <h2 id="replay-heading" className="h2">
        Replay against recent calls
      </h2>
      <form action={action} className="mt-3 flex flex-wrap items-end gap-3">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <input type="hidden" name="serverId" value={serverId} />
        <input type="hidden" name="document" value={text} />
        <div>
          <label htmlFor="replay-n" className="label">
            Number of calls
          </label>
          <input
            id="replay-n"
            name="limit"
            type="number"
            min={1}
            max={1000}
            defaultValue={200}
            className="input w-32"
          />
        </div>
        <button type="submit" className="btn" disabled={pending || !valid}>
          {pending ? 'Replaying…' : 'Replay draft'}
        </button>
      </form>
      <div aria-live="polite" className="mt-3">
        {state && !state.ok ? <p className="text-sm text-red-700">{state.error}</p> : null}
        {data ? (
          data.changed.length === 0 ? (
            <p className="text-sm text-slate-600">
              Replayed {data.replayed} calls: no decision would change.
              <UncheckableNote count={data.uncheckable} />
            </p>
          ) : (
            <>
              <p className="text-sm text-slate-600">
                Replayed {data.replayed} calls: {data.changed.length} would be decided or guarded differently.
                <UncheckableNote count={data.uncheckable} />
              </p>
              <table className="table mt-2">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Tool</th>
                    <th scope="col">Was</th>
                    <th scope="col">Would be</th>
                    <th scope="col">Content guards</th>
                  </tr>
                </thead>
                <tbody>
                  {data.changed.slice(0, 100).map((row) => (
                    <tr key={row.auditId}>
                      <td className="font-mono text-xs">
                        {new Date(row.createdAt).toISOString().slice(0, 19).replace('T', ' ')}
                      </td>
                      <td className="font-mono text-xs">{row.toolName}</td>
                      <td className="text-xs">
                        {row.before.decision} <span className="text-slate-500">{row.before.rule ?? ''}</span>
                      </td>
                      <td className="text-xs">
                        {row.after.decision} <span className="text-slate-500">{row.after.rule}</span>
                      </td>
                      <td className="text-xs">
                        {row.guards?.blocked
                          ? row.guards.blocked.direction === 'arguments'
                            ? `blocked: ${row.guards.blocked.detector} at ${row.guards.blocked.where || '/'}`
                            : `result withheld: ${row.guards.blocked.detector} at ${row.guards.blocked.where || '/'}`
                          : null}
                        {row.guards?.redacted.length
                          ? ` redacted: ${row.guards.redacted
                              .map(
                                (r) =>
                                  `${r.detector} (${r.direction === 'results' ? 'result' : 'arguments'})`,
                              )
                              .join(', ')}`
                          : null}
                        {!row.guards ? '—' : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        ) : null}
      </div>
    </section>
  );
}

/** Guards see only what the audit kept in plain text; calls stored redacted are counted, not guessed. */
function UncheckableNote({ count }: { count: number }) {
  if (!count) return null;
  return (
    <span className="block text-xs">
      Content guards could not be checked on {count} of them: their arguments and results were stored redacted
      (turn on full content for the server or tool to replay guards on future calls).
    </span>
  );
}
