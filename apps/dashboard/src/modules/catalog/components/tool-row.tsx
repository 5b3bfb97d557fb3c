import {
  Badge,
  CATEGORY_LABEL,
  CATEGORY_TONE,
  SEVERITY_LABEL,
  SEVERITY_TONE,
} from '../../../components/badge';
import { DiffView } from '../../../components/diff-view';
import { prettyJson } from '../../diff/line-diff';
import { decideToolChangeAction, overrideRiskAction } from '../actions';
import { effectiveRisk, type CatalogTool } from '../tools';
import { EFFECT_LABEL, type PolicyEffect, type ToolEffect } from '../policy-effect';
import { ToolOverrideForm } from './tool-override-form';

const EFFECT_TONE: Record<PolicyEffect, 'green' | 'amber' | 'violet' | 'red' | 'slate'> = {
  allow: 'green',
  limited: 'amber',
  require_approval: 'violet',
  deny: 'red',
  hide: 'slate',
};

/** The policy's effect on one tool: a badge, then the rule that decides it. */
export function EffectCell({ effect }: { effect: ToolEffect }) {
  return (
    <div className="text-xs">
      <Badge tone={EFFECT_TONE[effect.effect]} title={EFFECT_LABEL[effect.effect]}>
        {effect.label}
      </Badge>
      <div className="mt-0.5 text-slate-600">
        by <span className="font-mono">{effect.rule}</span>
        {effect.conditions ? ` · ${effect.conditions} condition${effect.conditions === 1 ? '' : 's'}` : ''}
        {!effect.listed && effect.effect === 'deny' ? ' · not in tools/list' : ''}
      </div>
    </div>
  );
}

/**
 * The sync's injection heuristic found text that reads like instructions to the model in this
 * definition: said where (JSON pointers), never hidden; what to do about it is the policy's call.
 */
function InjectionBadge({ flags, toolName }: { flags: unknown; toolName: string }) {
  if (!Array.isArray(flags) || flags.length === 0) return null;
  const where = (flags as Array<{ where?: unknown }>)
    .map((f) => (typeof f.where === 'string' ? f.where : ''))
    .filter(Boolean)
    .join(', ');
  return (
    <div className="mt-1" data-testid={`injection-${toolName}`}>
      <Badge tone="red" title={`Reads like instructions to the model at ${where}`}>
        Possible injected instructions
      </Badge>
      <div className="mt-0.5 text-xs text-slate-600">
        at <span className="font-mono">{where}</span>
      </div>
    </div>
  );
}

const PIN_BADGE = {
  approved: <Badge tone="green">Pinned</Badge>,
  changed: <Badge tone="red">Changed — blocked</Badge>,
  blocked: <Badge tone="red">Blocked</Badge>,
  pending: <Badge tone="amber">New — blocked until approved</Badge>,
};

/** One catalog row. Every upstream string is rendered as a React text node, never as HTML. */
export function ToolRow({
  tool,
  effect,
  orgSlug,
  canEdit,
  filterQuery = '',
}: {
  tool: CatalogTool;
  effect: ToolEffect;
  orgSlug: string;
  canEdit: boolean;
  filterQuery?: string;
}) {
  const risk = effectiveRisk(tool);
  const overridden = tool.riskOverrideCategory !== null || tool.riskOverrideSeverity !== null;
  const current = {
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? {},
    annotations: tool.annotations ?? null,
  };
  return (
    <tr data-tool={tool.name}>
      <td className="w-1/4">
        <div className="font-mono text-sm font-medium break-all">{tool.name}</div>
        {tool.overrideName ? (
          <div className="text-xs text-slate-600">
            agents see <span className="font-mono break-all">{tool.overrideName}</span>
          </div>
        ) : null}
        {tool.title || tool.description ? (
          <div className="line-clamp-1 text-xs text-slate-600" title={tool.description ?? undefined}>
            {tool.title ?? tool.description}
          </div>
        ) : null}
      </td>
      <td className="whitespace-nowrap">
        <div className="flex gap-1">
          <Badge tone={CATEGORY_TONE[risk.category]}>{CATEGORY_LABEL[risk.category]}</Badge>
          <Badge tone={SEVERITY_TONE[risk.severity]}>{SEVERITY_LABEL[risk.severity]}</Badge>
        </div>
        {overridden ? <div className="text-xs text-slate-600">overridden</div> : null}
        <InjectionBadge flags={tool.injectionFlags} toolName={tool.name} />
      </td>
      <td>
        <EffectCell effect={effect} />
      </td>
      <td>
        <p className="line-clamp-1 text-xs text-slate-700" title={tool.riskWhy}>
          {tool.riskWhy}
        </p>
        <details className="text-xs">
          <summary className="cursor-pointer text-sky-800">
            Details<span className="sr-only"> of {tool.name}</span>
          </summary>
          <ToolTexts tool={tool} />
          <p className="mt-1 font-medium">Input schema</p>
          <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs">
            {prettyJson(tool.inputSchema)}
          </pre>
          {canEdit ? <OverrideRiskForm tool={tool} orgSlug={orgSlug} overridden={overridden} /> : null}
          {canEdit ? <ToolOverrideForm orgSlug={orgSlug} tool={tool} /> : null}
        </details>
        {tool.pinState !== 'approved' ? (
          <div className="mt-2 space-y-2">
            {tool.approvedDefinition ? (
              <DiffView
                label={`Definition change of ${tool.name}`}
                before={prettyJson(tool.approvedDefinition)}
                after={prettyJson(current)}
              />
            ) : (
              <div>
                <p className="text-xs text-slate-600">
                  New since this server&apos;s catalog was first reviewed. Its definition:
                </p>
                <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs">
                  {prettyJson(current)}
                </pre>
              </div>
            )}
            {canEdit ? (
              <form action={decideToolChangeAction} className="flex gap-2">
                <input type="hidden" name="orgSlug" value={orgSlug} />
                <input type="hidden" name="serverId" value={tool.serverId} />
                <input type="hidden" name="toolId" value={tool.id} />
                <input type="hidden" name="filter" value={filterQuery} />
                {/* Approval is bound to exactly the definition shown above. */}
                <input type="hidden" name="definitionHash" value={tool.definitionHash} />
                <button type="submit" name="decision" value="approve" className="btn btn-sm">
                  Approve
                </button>
                {tool.pinState !== 'blocked' ? (
                  <button type="submit" name="decision" value="block" className="btn btn-sm btn-danger">
                    Keep blocked
                  </button>
                ) : null}
              </form>
            ) : null}
          </div>
        ) : null}
      </td>
      <td>{PIN_BADGE[tool.pinState]}</td>
    </tr>
  );
}

/** The upstream's own title and description, and beside them what an editor set agents to see. */
function ToolTexts({ tool }: { tool: CatalogTool }) {
  const overridden =
    tool.overrideName !== null || tool.overrideTitle !== null || tool.overrideDescription !== null;
  if (!overridden) return tool.description ? <p className="mt-1 text-slate-700">{tool.description}</p> : null;
  return (
    <dl className="mt-1 grid gap-2 md:grid-cols-2" data-testid={`override-${tool.name}`}>
      <div>
        <dt className="font-medium">From the upstream</dt>
        <dd className="text-slate-700">
          <span className="block font-mono">{tool.name}</span>
          {tool.title ? <span className="block">{tool.title}</span> : null}
          {tool.description ?? <span className="muted">no description</span>}
        </dd>
      </div>
      <div>
        <dt className="font-medium">What agents see</dt>
        <dd className="text-slate-700">
          <span className="block font-mono">{tool.overrideName ?? tool.name}</span>
          {(tool.overrideTitle ?? tool.title) ? (
            <span className="block">{tool.overrideTitle ?? tool.title}</span>
          ) : null}
          {tool.overrideDescription ?? tool.description ?? <span className="muted">no description</span>}
        </dd>
      </div>
    </dl>
  );
}

function OverrideRiskForm({
  tool,
  orgSlug,
  overridden,
}: {
  tool: CatalogTool;
  orgSlug: string;
  overridden: boolean;
}) {
  const risk = effectiveRisk(tool);
  return (
    <form action={overrideRiskAction} className="mt-2 flex flex-wrap items-end gap-2">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <input type="hidden" name="toolId" value={tool.id} />
      <label className="text-xs">
        Category<span className="sr-only"> of {tool.name}</span>
        <select name="category" defaultValue={risk.category} className="input mt-0.5">
          <option value="read">Read</option>
          <option value="write">Write</option>
          <option value="destructive">Destructive</option>
        </select>
      </label>
      <label className="text-xs">
        Severity<span className="sr-only"> of {tool.name}</span>
        <select name="severity" defaultValue={risk.severity} className="input mt-0.5">
          <option value="low">Low</option>
          <option value="medium">Medium</option>
          <option value="high">High</option>
        </select>
      </label>
      <button type="submit" className="btn btn-sm">
        Save risk label<span className="sr-only"> of {tool.name}</span>
      </button>
      {overridden ? (
        <button type="submit" name="reset" value="1" className="btn btn-sm">
          Use classifier label
        </button>
      ) : null}
    </form>
  );
}
