// Per toolset, what its sessions need: its name and members (server, prefix, subset, overrides) in
// order (docs/toolsets.md). Cached for at most a second, like server state, and dropped at once on
// a toolset change event; a member server's deletion drops it from the toolset.
import type { Db } from '@portcullis/db/client';
import type { ToolOverride, ToolsetMemberView } from '@portcullis/policy/toolset';

export interface ToolsetState {
  id: string;
  organizationId: string;
  name: string;
  members: ToolsetMemberView[];
  loadedAt: number;
}

export class ToolsetStateCache {
  private readonly states = new Map<string, ToolsetState>();
  private readonly loading = new Map<string, Promise<ToolsetState | undefined>>();
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  get(toolsetId: string): ToolsetState | undefined | Promise<ToolsetState | undefined> {
    const state = this.states.get(toolsetId);
    if (state && Date.now() - state.loadedAt <= this.ttlMs) return state;
    const pending = this.loading.get(toolsetId);
    if (pending) return pending;
    const generation = this.generation;
    const promise = this.fetch(toolsetId)
      .then((loaded) => {
        if (loaded && generation === this.generation) this.states.set(toolsetId, loaded);
        return loaded;
      })
      .finally(() => this.loading.delete(toolsetId));
    this.loading.set(toolsetId, promise);
    return promise;
  }

  /** The cached toolsets one of whose members is this server (for its list-changed notices). */
  withServer(serverId: string): string[] {
    const out: string[] = [];
    for (const state of this.states.values())
      if (state.members.some((m) => m.serverId === serverId)) out.push(state.id);
    return out;
  }

  private async fetch(toolsetId: string): Promise<ToolsetState | undefined> {
    const loadedAt = Date.now();
    const row = await this.db.toolset.findUnique({
      where: { id: toolsetId },
      select: {
        id: true,
        organizationId: true,
        name: true,
        deletedAt: true,
        members: {
          orderBy: [{ position: 'asc' }, { prefix: 'asc' }],
          select: {
            serverId: true,
            prefix: true,
            allTools: true,
            tools: true,
            overrides: true,
            server: { select: { name: true, deletedAt: true, organizationId: true } },
          },
        },
      },
    });
    if (!row || row.deletedAt) return undefined;
    return {
      id: row.id,
      organizationId: row.organizationId,
      name: row.name,
      members: row.members
        // (A member is always of the toolset's organization: the dashboard checks it; checked again here.)
        .filter((m) => !m.server.deletedAt && m.server.organizationId === row.organizationId)
        .map((m) => ({
          serverId: m.serverId,
          serverName: m.server.name,
          prefix: m.prefix,
          allTools: m.allTools,
          tools: m.tools,
          overrides: overridesOf(m.overrides),
        })),
      loadedAt,
    };
  }

  invalidate(toolsetId: string): void {
    this.generation += 1;
    this.states.delete(toolsetId);
  }

  /** A server changed (renamed, deleted): the toolsets it is in are reloaded. */
  invalidateServer(serverId: string): void {
    for (const id of this.withServer(serverId)) this.invalidate(id);
  }
}

/** The stored overrides JSON, keeping only string fields (the dashboard validated it on save). */
function overridesOf(value: unknown): Record<string, ToolOverride> {
  // No prototype: a tool named `constructor` has no override unless the toolset gives it one.
  const out = Object.create(null) as Record<string, ToolOverride>;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [tool, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object') continue;
    const o = raw as Record<string, unknown>;
    const entry: ToolOverride = {};
    if (typeof o.name === 'string' && o.name !== '') entry.name = o.name;
    if (typeof o.title === 'string' && o.title !== '') entry.title = o.title;
    if (typeof o.description === 'string' && o.description !== '') entry.description = o.description;
    out[tool] = entry;
  }
  return out;
}
