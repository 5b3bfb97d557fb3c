// Per server, what every call needs: connection settings, the active policy (compiled once per
// version) and the catalog's pinning and risk labels. Cached for at most a second and dropped at
// once on change events, so policy edits reach the next call on every replica within a second.
import type { Db } from '@portcullis/db/client';
import { compilePolicy, type CompiledPolicy } from '@portcullis/policy/compile';
import type { RiskCategory } from '@portcullis/policy/types';
import { formatPolicyErrors } from '@portcullis/policy/validate';
import type { ServerConnectionRow } from '@portcullis/catalog/upstream-spec';

export interface ToolState {
  id: string;
  pinState: 'approved' | 'changed' | 'blocked' | 'pending';
  approvedHash: string;
  /** The title and output schema the catalog shows (legacy approved hashes do not cover them). */
  title: string | null;
  outputSchema: unknown;
  risk: RiskCategory;
  present: boolean;
  /** "full" or "redacted" audit content for this tool; null follows the server's setting. */
  auditContent: string | null;
  /** What agents see instead of the upstream's name, title and description (null: the upstream's). */
  overrideName: string | null;
  overrideTitle: string | null;
  overrideDescription: string | null;
}

export type ActivePolicy =
  | { ok: true; version: number; compiled: CompiledPolicy }
  /** The stored document does not validate (should not happen: the dashboard validates on save). */
  | { ok: false; version: number; error: string };

export interface ServerState {
  server: ServerConnectionRow & {
    name: string;
    upstreamAccount: string | null;
    auditArguments: string;
    deletedAt: Date | null;
    updatedAt: Date;
    /** For the connect URL an agent is given (docs/upstream-oauth.md). */
    organizationSlug: string;
    /** Set when the server is behind sign-in: calls carry a connected account's token. */
    oauth: { connectionMode: 'shared' | 'per_user' } | null;
  };
  policy: ActivePolicy | undefined;
  tools: Map<string, ToolState>;
  /** Some tool has an override: agents' names and text differ from the upstream's (calls/tool-naming.ts). */
  overridden: boolean;
  loadedAt: number;
}

export class ServerStateCache {
  private readonly states = new Map<string, ServerState>();
  private readonly loading = new Map<string, Promise<ServerState | undefined>>();
  /** Compiled policies by version row id: a version is immutable, so it is compiled once. */
  private readonly compiled = new Map<string, ActivePolicy>();
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  /** Cached state, or a fresh load when older than the TTL. Throws when the store is unreachable. */
  get(serverId: string): ServerState | undefined | Promise<ServerState | undefined> {
    const state = this.states.get(serverId);
    if (state && Date.now() - state.loadedAt <= this.ttlMs) return state;
    return this.load(serverId);
  }

  async load(serverId: string): Promise<ServerState | undefined> {
    const pending = this.loading.get(serverId);
    if (pending) return pending;
    const generation = this.generation;
    const promise = this.fetch(serverId)
      .then((state) => {
        // An invalidation during the load may describe a change the load did not see: keep it uncached.
        if (state && generation === this.generation) this.states.set(serverId, state);
        return state;
      })
      .finally(() => this.loading.delete(serverId));
    this.loading.set(serverId, promise);
    return promise;
  }

  /** Read now, neither from the cache nor joining a load that may have started before a change. */
  loadFresh(serverId: string): Promise<ServerState | undefined> {
    return this.fetch(serverId);
  }

  private async fetch(serverId: string): Promise<ServerState | undefined> {
    const loadedAt = Date.now();
    const [server, policy, tools] = await Promise.all([
      this.db.mcpServer.findUnique({
        where: { id: serverId },
        select: {
          id: true,
          organizationId: true,
          name: true,
          transport: true,
          url: true,
          stdioTemplate: true,
          command: true,
          args: true,
          secretHeadersEnc: true,
          secretEnvEnc: true,
          upstreamAccount: true,
          auditArguments: true,
          deletedAt: true,
          updatedAt: true,
          organization: { select: { slug: true } },
          oauth: { select: { connectionMode: true } },
        },
      }),
      this.db.policyVersion.findFirst({
        where: { serverId, active: true },
        orderBy: { version: 'desc' },
        select: { id: true, version: true, document: true },
      }),
      this.db.tool.findMany({
        where: { serverId },
        select: {
          id: true,
          name: true,
          pinState: true,
          approvedHash: true,
          title: true,
          outputSchema: true,
          riskCategory: true,
          riskOverrideCategory: true,
          present: true,
          auditContent: true,
          overrideName: true,
          overrideTitle: true,
          overrideDescription: true,
        },
      }),
    ]);
    if (!server || server.deletedAt) return undefined;
    let active: ActivePolicy | undefined;
    if (policy) {
      active = this.compiled.get(policy.id);
      if (!active) {
        try {
          active = { ok: true, version: policy.version, compiled: compilePolicy(policy.document) };
        } catch (error) {
          const errors = (error as { errors?: Parameters<typeof formatPolicyErrors>[0] }).errors;
          active = {
            ok: false,
            version: policy.version,
            error: errors ? formatPolicyErrors(errors) : String(error),
          };
        }
        if (this.compiled.size > 1000) this.compiled.clear();
        this.compiled.set(policy.id, active);
      }
    }
    const toolMap = new Map<string, ToolState>();
    let overridden = false;
    for (const tool of tools) {
      if (tool.overrideName !== null || tool.overrideTitle !== null || tool.overrideDescription !== null)
        overridden = true;
      toolMap.set(tool.name, {
        id: tool.id,
        pinState: tool.pinState,
        approvedHash: tool.approvedHash,
        title: tool.title,
        outputSchema: tool.outputSchema,
        risk: tool.riskOverrideCategory ?? tool.riskCategory,
        present: tool.present,
        auditContent: tool.auditContent,
        overrideName: tool.overrideName,
        overrideTitle: tool.overrideTitle,
        overrideDescription: tool.overrideDescription,
      });
    }
    const { organization, ...row } = server;
    return {
      server: { ...row, organizationSlug: organization.slug },
      policy: active,
      tools: toolMap,
      overridden,
      loadedAt,
    };
  }

  invalidate(serverId: string): void {
    this.generation += 1;
    this.states.delete(serverId);
  }
}
