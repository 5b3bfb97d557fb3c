'use client';

// The toolset editor: name, the member servers with their prefixes and, on the toolset's own page,
// each member's subset of tools and per-tool overrides. It sends the toolset as JSON; the server
// checks it (catalog, prefixes, exposed names, resource URIs) and names every problem.
import { useActionState, useState } from 'react';
import { defaultPrefix, exposedName } from '@portcullis/policy/toolset';
import { FormStatus } from '../../../components/form-status';
import { createToolsetAction, updateToolsetAction } from '../toolset-actions';

export interface ToolChoice {
  name: string;
  title: string | null;
  description: string | null;
  /** The server-level override name (what the plain server shows instead). */
  overrideName: string | null;
}

export interface ServerChoice {
  id: string;
  name: string;
  /** Present tools of its catalog; only the toolset's own page needs them. */
  tools: ToolChoice[];
}

export interface OverrideState {
  name: string;
  title: string;
  description: string;
}

export interface MemberState {
  serverId: string;
  prefix: string;
  allTools: boolean;
  tools: string[];
  overrides: Record<string, OverrideState>;
}

export interface ToolsetState {
  name: string;
  description: string;
  members: MemberState[];
}

const EMPTY_OVERRIDE: OverrideState = { name: '', title: '', description: '' };

function newMember(server: ServerChoice): MemberState {
  return {
    serverId: server.id,
    prefix: defaultPrefix(server.name),
    allTools: true,
    tools: [],
    overrides: {},
  };
}

/** What the module's toolsetInput takes: empty overrides left out, a subset only when chosen. */
function payload(state: ToolsetState) {
  return {
    name: state.name,
    description: state.description.trim() || null,
    members: state.members.map((m) => ({
      serverId: m.serverId,
      prefix: m.prefix.trim(),
      allTools: m.allTools,
      ...(m.allTools ? {} : { tools: m.tools }),
      overrides: Object.fromEntries(
        Object.entries(m.overrides)
          .map(([tool, o]) => [
            tool,
            Object.fromEntries(
              Object.entries(o)
                .map(([field, value]) => [field, value.trim()])
                .filter(([, value]) => value !== ''),
            ),
          ])
          .filter(([, o]) => Object.keys(o as object).length > 0),
      ),
    })),
  };
}

export function ToolsetForm({
  orgSlug,
  toolsetId,
  servers,
  initial,
}: {
  orgSlug: string;
  /** Set on the toolset's own page (update, with subsets and overrides); absent: the create form. */
  toolsetId?: string;
  servers: ServerChoice[];
  initial: ToolsetState;
}) {
  const [state, action, pending] = useActionState(
    toolsetId ? updateToolsetAction : createToolsetAction,
    null,
  );
  const [toolset, setToolset] = useState<ToolsetState>(initial);
  const [adding, setAdding] = useState('');
  const serverById = new Map(servers.map((s) => [s.id, s]));
  const fieldError = (field: string) =>
    state && !state.ok && state.field === `/${field}` ? state.error : undefined;
  const setMember = (serverId: string, change: (m: MemberState) => MemberState) =>
    setToolset((t) => ({ ...t, members: t.members.map((m) => (m.serverId === serverId ? change(m) : m)) }));
  const memberOf = (serverId: string) => toolset.members.find((m) => m.serverId === serverId);
  const addable = servers.filter((s) => !memberOf(s.id));

  return (
    <form action={action} className="space-y-4">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      {toolsetId ? <input type="hidden" name="toolsetId" value={toolsetId} /> : null}
      <input type="hidden" name="toolset" value={JSON.stringify(payload(toolset))} />
      <div className="grid gap-3 md:grid-cols-2">
        <div>
          <label htmlFor="toolset-name" className="label">
            Name
          </label>
          <input
            id="toolset-name"
            className="input"
            required
            maxLength={100}
            value={toolset.name}
            onChange={(e) => setToolset((t) => ({ ...t, name: e.target.value }))}
            aria-invalid={fieldError('name') ? true : undefined}
          />
          {fieldError('name') ? <p className="mt-1 text-xs text-red-700">{fieldError('name')}</p> : null}
        </div>
        <div>
          <label htmlFor="toolset-description" className="label">
            Description (optional)
          </label>
          <input
            id="toolset-description"
            className="input"
            maxLength={1000}
            value={toolset.description}
            onChange={(e) => setToolset((t) => ({ ...t, description: e.target.value }))}
          />
        </div>
      </div>

      {toolsetId ? (
        <div className="space-y-4">
          {toolset.members.length === 0 ? <p className="muted">No servers yet: add at least one.</p> : null}
          {toolset.members.map((m, i) => {
            const server = serverById.get(m.serverId);
            if (!server) return null;
            return (
              <MemberEditor
                key={m.serverId}
                index={i}
                server={server}
                member={m}
                onChange={(change) => setMember(m.serverId, change)}
                onRemove={() =>
                  setToolset((t) => ({ ...t, members: t.members.filter((x) => x.serverId !== m.serverId) }))
                }
              />
            );
          })}
          {addable.length > 0 ? (
            <div className="flex flex-wrap items-end gap-2">
              <div>
                <label htmlFor="toolset-add-server" className="label">
                  Add a server
                </label>
                <select
                  id="toolset-add-server"
                  className="input"
                  value={adding}
                  onChange={(e) => setAdding(e.target.value)}
                >
                  <option value="">Choose…</option>
                  {addable.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </div>
              <button
                type="button"
                className="btn"
                disabled={!adding}
                onClick={() => {
                  const server = serverById.get(adding);
                  if (server) setToolset((t) => ({ ...t, members: [...t.members, newMember(server)] }));
                  setAdding('');
                }}
              >
                Add
              </button>
            </div>
          ) : null}
        </div>
      ) : (
        <fieldset className="space-y-2">
          <legend className="label">Servers</legend>
          <p className="text-xs text-slate-500">
            Agents see each tool as <span className="code">prefix__tool</span>. Choose subsets and overrides
            on the toolset&apos;s page once it is created.
          </p>
          {servers.map((s) => {
            const m = memberOf(s.id);
            return (
              <div key={s.id} className="flex flex-wrap items-center gap-3">
                <label className="inline-flex min-w-56 items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={Boolean(m)}
                    onChange={(e) =>
                      setToolset((t) => ({
                        ...t,
                        members: e.target.checked
                          ? [...t.members, newMember(s)]
                          : t.members.filter((x) => x.serverId !== s.id),
                      }))
                    }
                  />
                  {s.name}
                </label>
                {m ? (
                  <input
                    aria-label={`Prefix for ${s.name}`}
                    className="input w-56 font-mono"
                    maxLength={32}
                    value={m.prefix}
                    onChange={(e) => setMember(s.id, (x) => ({ ...x, prefix: e.target.value }))}
                  />
                ) : null}
              </div>
            );
          })}
        </fieldset>
      )}

      <FormStatus state={state} />
      <button type="submit" className="btn btn-primary" disabled={pending || toolset.members.length === 0}>
        {pending ? 'Saving…' : toolsetId ? 'Save toolset' : 'Create toolset'}
      </button>
    </form>
  );
}

function MemberEditor({
  index,
  server,
  member,
  onChange,
  onRemove,
}: {
  index: number;
  server: ServerChoice;
  member: MemberState;
  onChange: (change: (m: MemberState) => MemberState) => void;
  onRemove: () => void;
}) {
  const id = `member-${index}`;
  const prefix = member.prefix.trim() || defaultPrefix(server.name);
  const setOverride = (tool: string, field: keyof OverrideState, value: string) =>
    onChange((m) => ({
      ...m,
      overrides: {
        ...m.overrides,
        [tool]: {
          ...EMPTY_OVERRIDE,
          ...(Object.hasOwn(m.overrides, tool) ? m.overrides[tool] : {}),
          [field]: value,
        },
      },
    }));
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
      <legend className="px-1 text-sm font-medium text-slate-900">{server.name}</legend>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <label htmlFor={`${id}-prefix`} className="label">
            Prefix
          </label>
          <input
            id={`${id}-prefix`}
            className="input w-56 font-mono"
            maxLength={32}
            value={member.prefix}
            placeholder={defaultPrefix(server.name)}
            onChange={(e) => onChange((m) => ({ ...m, prefix: e.target.value }))}
          />
        </div>
        <div
          className="flex flex-wrap gap-4 text-sm"
          role="radiogroup"
          aria-label={`Tools of ${server.name}`}
        >
          <label className="inline-flex items-center gap-2">
            <input
              type="radio"
              name={`scope-${member.serverId}`}
              checked={member.allTools}
              onChange={() => onChange((m) => ({ ...m, allTools: true }))}
            />
            All tools
          </label>
          <label className="inline-flex items-center gap-2">
            <input
              type="radio"
              name={`scope-${member.serverId}`}
              checked={!member.allTools}
              onChange={() => onChange((m) => ({ ...m, allTools: false }))}
            />
            Only the tools checked below
          </label>
        </div>
        <button type="button" className="btn btn-sm" onClick={onRemove}>
          Remove {server.name}
        </button>
      </div>
      {server.tools.length === 0 ? (
        <p className="text-xs text-slate-500">No tools in this server&apos;s catalog yet; sync it first.</p>
      ) : (
        <table className="table">
          <caption className="sr-only">Tools of {server.name}</caption>
          <thead>
            <tr>
              <th scope="col">In toolset</th>
              <th scope="col">Upstream tool</th>
              <th scope="col">Agents see</th>
              <th scope="col">Override in this toolset</th>
            </tr>
          </thead>
          <tbody>
            {server.tools.map((tool) => {
              // Own keys only: an upstream may name a tool `constructor`.
              const o = Object.hasOwn(member.overrides, tool.name)
                ? member.overrides[tool.name]!
                : EMPTY_OVERRIDE;
              const shown = exposedName(
                { prefix, overrides: o.name.trim() ? { [tool.name]: { name: o.name.trim() } } : {} },
                tool.name,
                tool.overrideName,
              );
              const overridden = Boolean(o.name.trim() || o.title.trim() || o.description.trim());
              return (
                <tr key={tool.name}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${tool.name} in the toolset`}
                      disabled={member.allTools}
                      checked={member.allTools || member.tools.includes(tool.name)}
                      onChange={(e) =>
                        onChange((m) => ({
                          ...m,
                          tools: e.target.checked
                            ? [...m.tools, tool.name]
                            : m.tools.filter((t) => t !== tool.name),
                        }))
                      }
                    />
                  </td>
                  <td className="max-w-md">
                    <span className="font-mono text-xs">{tool.name}</span>
                    {tool.description ? (
                      <p className="line-clamp-2 text-xs text-slate-500">{tool.description}</p>
                    ) : null}
                  </td>
                  <td className="font-mono text-xs break-all">{shown}</td>
                  <td className="min-w-72">
                    <details open={overridden}>
                      <summary className="cursor-pointer text-xs text-sky-700">
                        {overridden ? 'Overridden' : 'Override…'}
                      </summary>
                      <div className="mt-2 space-y-2">
                        <input
                          aria-label={`Override name of ${tool.name}`}
                          className="input font-mono"
                          maxLength={128}
                          placeholder={tool.overrideName ?? tool.name}
                          value={o.name}
                          onChange={(e) => setOverride(tool.name, 'name', e.target.value)}
                        />
                        <input
                          aria-label={`Override title of ${tool.name}`}
                          className="input"
                          maxLength={200}
                          placeholder={tool.title ?? 'Title'}
                          value={o.title}
                          onChange={(e) => setOverride(tool.name, 'title', e.target.value)}
                        />
                        <textarea
                          aria-label={`Override description of ${tool.name}`}
                          className="input"
                          rows={2}
                          maxLength={4000}
                          placeholder={tool.description ?? 'Description'}
                          value={o.description}
                          onChange={(e) => setOverride(tool.name, 'description', e.target.value)}
                        />
                      </div>
                    </details>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </fieldset>
  );
}
