// Replay of a draft's content guards over recorded calls. Server only: the detectors run RE2 (a
// native addon), so this must not be imported by the editor's client components (simulate.ts is).
import { guardArguments, guardResult } from '@portcullis/guardrails/scan';
import { guardsForCall } from '@portcullis/policy/decide';
import type { PolicyDocument } from '@portcullis/policy/types';
import { catalogTool, type CatalogRow } from './simulate';

/** What a draft's content guards would have done to one recorded call (null: nothing). */
export interface GuardReplay {
  /** A guard would have refused the call (arguments) or withheld its result. */
  blocked?: { direction: 'arguments' | 'results'; detector: string; where: string };
  /** Detectors that would have redacted something, by direction. */
  redacted: Array<{ direction: 'arguments' | 'results'; detector: string }>;
}

/**
 * The draft's guards over a recorded call's arguments and result, where the audit stored them in
 * plain text (the gateway's own guard functions, as enforcement runs them). `undefined` for what
 * was not stored: it cannot be checked, and the caller says so.
 */
export function simulateGuards(
  policy: PolicyDocument,
  catalog: ReadonlyMap<string, CatalogRow>,
  tool: string,
  args: Record<string, unknown> | undefined,
  result: unknown,
): GuardReplay | null {
  const guards = guardsForCall(
    { ok: true, version: 0, compiled: policy },
    catalogTool(catalog.get(tool)),
    tool,
  );
  const patterns = policy.patterns ?? {};
  const out: GuardReplay = { redacted: [] };
  const note = (direction: 'arguments' | 'results', outcome: ReturnType<typeof guardResult>) => {
    if (outcome.blocked && !out.blocked) out.blocked = { direction, ...outcome.blocked };
    for (const f of outcome.findings)
      if (
        f.action === 'redact' &&
        !out.redacted.some((r) => r.direction === direction && r.detector === f.detector)
      )
        out.redacted.push({ direction, detector: f.detector });
  };
  if (args !== undefined && guards.arguments.size > 0)
    note('arguments', guardArguments(args, guards.arguments, patterns));
  if (!out.blocked && result !== undefined && result !== null && guards.results.size > 0)
    note('results', guardResult(result, guards.results, patterns));
  return out.blocked || out.redacted.length > 0 ? out : null;
}

/** Whether a draft has any content guard (so replay has something to check content against). */
export function hasGuards(policy: PolicyDocument): boolean {
  const any = (g: { arguments?: object; results?: object } | undefined) =>
    Boolean(g && (Object.keys(g.arguments ?? {}).length > 0 || Object.keys(g.results ?? {}).length > 0));
  return any(policy.guards) || Object.values(policy.tools ?? {}).some((rule) => any(rule.guards));
}
