'use client';

// "Try a call": one tools/call through the toolset, routed and decided on the server exactly as the
// gateway would (simulate-toolset.ts). Nothing is forwarded and no rate-limit counter is consumed.
import { useActionState, useState } from 'react';
import { Badge, DECISION_LABEL, DECISION_TONE } from '../../../components/badge';
import { simulateToolsetCallAction } from '../toolset-actions';

export interface SimulatorTool {
  exposedName: string;
  serverName: string;
  upstreamName: string;
}

export function ToolsetCallSimulator({
  orgSlug,
  toolsetId,
  tools,
}: {
  orgSlug: string;
  toolsetId: string;
  tools: SimulatorTool[];
}) {
  const [state, action, pending] = useActionState(simulateToolsetCallAction, null);
  const [name, setName] = useState(tools[0]?.exposedName ?? '');
  const [args, setArgs] = useState('{}');
  const fieldError = (field: string) => Boolean(state && !state.ok && state.field === `/${field}`);
  const result = state?.ok ? state.data : null;
  const limits = result?.decision.counters
    .map((c) => `${c.max} per ${c.windowMs / 1000} s per ${c.scope}`)
    .join(', ');
  return (
    <>
      <form action={action} className="grid gap-3 md:grid-cols-[20rem_1fr_auto] md:items-start">
        <input type="hidden" name="orgSlug" value={orgSlug} />
        <input type="hidden" name="toolsetId" value={toolsetId} />
        <div>
          <label htmlFor="try-call-name" className="label">
            Tool name (as agents call it)
          </label>
          <input
            id="try-call-name"
            name="name"
            list="try-call-tools"
            className="input font-mono"
            required
            maxLength={128}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={fieldError('name') || undefined}
            aria-describedby={fieldError('name') ? 'try-call-error' : undefined}
          />
          <datalist id="try-call-tools">
            {tools.map((t) => (
              <option
                key={t.exposedName}
                value={t.exposedName}
                label={`${t.serverName}: ${t.upstreamName}`}
              />
            ))}
          </datalist>
        </div>
        <div>
          <label htmlFor="try-call-arguments" className="label">
            Arguments (JSON object)
          </label>
          <textarea
            id="try-call-arguments"
            name="arguments"
            rows={3}
            className="input font-mono"
            value={args}
            onChange={(e) => setArgs(e.target.value)}
            aria-invalid={fieldError('arguments') || undefined}
            aria-describedby={fieldError('arguments') ? 'try-call-error' : undefined}
          />
        </div>
        <button type="submit" className="btn md:mt-6" disabled={pending}>
          {pending ? 'Deciding…' : 'Try call'}
        </button>
      </form>
      <div role="status" aria-live="polite" aria-atomic="true" className="mt-3 text-sm">
        {/* Field errors too: the field points here (aria-describedby), and this region announces it. */}
        {state && !state.ok ? (
          <p id="try-call-error" className="text-red-700">
            {state.error}
          </p>
        ) : null}
        {result ? (
          <dl className="grid gap-x-4 gap-y-1 sm:grid-cols-[8rem_1fr]">
            <dt className="font-medium">Decision</dt>
            <dd>
              <Badge tone={DECISION_TONE[result.decision.effect] ?? 'slate'}>
                {DECISION_LABEL[result.decision.effect] ?? result.decision.effect}
              </Badge>{' '}
              <span className="text-slate-600">
                rule <span className="font-mono">{result.decision.rule}</span>
              </span>
            </dd>
            {result.decision.reason ? (
              <>
                <dt className="font-medium">Reason</dt>
                <dd>{result.decision.reason}</dd>
              </>
            ) : null}
            <dt className="font-medium">Server</dt>
            <dd>{result.serverName ?? 'None: no server of this toolset has this prefix'}</dd>
            <dt className="font-medium">Server tool</dt>
            <dd className={result.upstreamName ? 'font-mono' : undefined}>
              {result.upstreamName ?? 'None: no tool in the catalog answers to this name'}
            </dd>
            {limits ? (
              <>
                <dt className="font-medium">Limits</dt>
                <dd>{limits} (not consumed by this simulation)</dd>
              </>
            ) : null}
            {result.decision.approval ? (
              <>
                <dt className="font-medium">Approval</dt>
                <dd>waits up to {Math.round(result.decision.approval.timeoutMs / 1000)} s for a decision</dd>
              </>
            ) : null}
          </dl>
        ) : null}
      </div>
    </>
  );
}
