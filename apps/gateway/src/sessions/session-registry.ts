// Open agent sessions on this process, by MCP session id, with their server-side transports.
// Streamable HTTP sessions are also recorded in gateway_sessions, so a request that lands on
// another replica (behind a load balancer without affinity) can resume the session there.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type {
  ClientCapabilities,
  Implementation,
  InitializeRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { findInitialize, jsonRpcError } from '../http/json-rpc.ts';
import type { GatewayServices } from '../services.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import type { SessionHooks } from './gateway-session.ts';
import { openAgentSession, type AgentSession } from './agent-session.ts';
import type { ToolsetSession } from './toolset-session.ts';
import { LegacySseAdapter } from './legacy-sse-adapter.ts';
import { SessionLimitError } from './grant-slots.ts';
import { SessionStore } from './session-store.ts';
import { StreamableHttpTransport } from './streamable-http-transport.ts';

interface StreamableEntry {
  kind: 'streamable';
  grant: GrantContext;
  session: AgentSession;
  transport: StreamableHttpTransport;
}

interface SseEntry {
  kind: 'sse';
  grant: GrantContext;
  transport: SSEServerTransport;
  /** Set once the agent's initialize arrived and the upstream is connected. */
  session: AgentSession | undefined;
  opening: Promise<AgentSession> | undefined;
  adapter: LegacySseAdapter;
}

type Entry = StreamableEntry | SseEntry;

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  private readonly store: SessionStore;

  constructor(
    private readonly services: GatewayServices,
    private readonly hooks: SessionHooks,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(60_000, services.config.sessionIdleMs));
    this.sweeper.unref();
    this.heartbeatMs = Math.min(30_000, Math.max(1_000, Math.floor(services.config.sessionIdleMs / 4)));
    this.store = new SessionStore(services, this.heartbeatMs);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Sessions of a server's grants, and of toolset grants it is a member of. */
  sessionsOf(serverId: string): AgentSession[] {
    const out: AgentSession[] = [];
    for (const entry of this.entries.values())
      if (entry.session?.servesServer(serverId)) out.push(entry.session);
    return out;
  }

  get(sessionId: string): Entry | undefined {
    return this.entries.get(sessionId);
  }

  private reserveSlot(grant: GrantContext): void {
    this.services.sessionSlots.reserveNow(grant.grantId);
  }

  private releaseSlot(grant: GrantContext): void {
    this.services.sessionSlots.release(grant.grantId);
  }

  /** When the grant's least recently seen session here last got a request (grant-slots.ts estimates from it). */
  leastRecentlySeen(grantId: string): number | undefined {
    let at: number | undefined;
    for (const entry of this.entries.values())
      if (entry.grant.grantId === grantId && entry.session)
        at = at === undefined ? entry.session.lastSeenAt : Math.min(at, entry.session.lastSeenAt);
    return at;
  }

  /**
   * Makes room for a new session of a grant at its limit: a session here whose client went away
   * with requests in flight (see orphaned(); those requests are cancelled upstream), else the
   * grant's least recently used session here with no request in flight, is closed (its agent's next
   * request gets 404 and it initializes again, as the transport spec has it). Clients that reconnect
   * without DELETE, which most do, or that were killed mid-call, would otherwise lock the grant out
   * until their old sessions expire.
   */
  async evictIdle(grantId: string): Promise<boolean> {
    let oldest: [string, Entry] | undefined;
    let oldestOrphan: [string, Entry] | undefined;
    for (const item of this.entries) {
      const session = item[1].session;
      if (item[1].grant.grantId !== grantId || !session) continue;
      if (session.inflightCount === 0) {
        if (!oldest || session.lastSeenAt < oldest[1].session!.lastSeenAt) oldest = item;
      } else if (orphaned(item[1])) {
        if (!oldestOrphan || session.lastSeenAt < oldestOrphan[1].session!.lastSeenAt) oldestOrphan = item;
      }
    }
    // A client that went away goes before one that may come back.
    const doomed = oldestOrphan ?? oldest;
    if (!doomed) return false;
    this.services.log.info(
      { grantId, sessionId: doomed[0] },
      oldestOrphan
        ? 'session limit reached: closing a session whose client went away (its requests are cancelled)'
        : 'session limit reached: closing the least recently used idle session',
    );
    this.services.metrics.sessionsEvicted += 1;
    await this.remove(doomed[0], doomed[1]);
    return true;
  }

  private async reserveSlotEvicting(grant: GrantContext): Promise<void> {
    await this.services.sessionSlots.reserve(grant.grantId);
  }

  /** Records the session; at the limit across replicas, an idle session here makes room once. */
  private async recordEvicting(
    id: string,
    grant: GrantContext,
    initialize: InitializeRequest,
  ): Promise<boolean> {
    try {
      return await this.store.record(id, grant, initialize, () =>
        this.services.sessionSlots.limitError(grant.grantId),
      );
    } catch (error) {
      if (!(error instanceof SessionLimitError) || !(await this.evictIdle(grant.grantId))) throw error;
      return this.store.record(id, grant, initialize, () =>
        this.services.sessionSlots.limitError(grant.grantId),
      );
    }
  }

  /** Streamable HTTP: a new session for an initialize request. */
  async createStreamable(grant: GrantContext, initialize: InitializeRequest): Promise<StreamableEntry> {
    await this.reserveSlotEvicting(grant);
    const id = randomUUID();
    let recorded = false;
    let session: AgentSession;
    try {
      recorded = await this.recordEvicting(id, grant, initialize);
      session = await openAgentSession(this.services, this.hooks, {
        id,
        grant,
        clientCapabilities: initialize.params.capabilities,
      });
    } catch (error) {
      this.releaseSlot(grant);
      if (recorded) await this.store.markClosed(id);
      throw error;
    }
    return this.attachStreamable(grant, session);
  }

  /**
   * Keeps this replica's live sessions counted (and resumable) on the others, and closes those of
   * grants that stopped being valid without an event (expired; a revocation whose event was lost).
   */
  private async heartbeat(): Promise<void> {
    await this.store.touch(
      [...this.entries.values()]
        .filter((e) => e.kind === 'streamable' && e.session && !e.session.closed)
        .map((e) => e.session!.id),
    );
    const grantIds = [...new Set([...this.entries.values()].map((e) => e.grant.grantId))];
    if (grantIds.length === 0) return;
    const valid = await this.store.validGrants(grantIds);
    if (!valid) return;
    await Promise.allSettled(
      grantIds.filter((id) => !valid.has(id)).map((id) => this.closeGrant(id, 'no longer valid')),
    );
  }

  /**
   * A grant changed (change event, on every replica): if it no longer lets anyone in (revoked,
   * expired, deleted), its sessions here end now, open GET streams included, rather than keep
   * receiving the upstream's notifications.
   */
  async closeGrantIfInactive(grantId: string): Promise<void> {
    if (![...this.entries.values()].some((e) => e.grant.grantId === grantId)) return;
    const status = await this.services.grants.status(grantId);
    if (status !== 'active') await this.closeGrant(grantId, status);
  }

  private async closeGrant(grantId: string, why: string): Promise<void> {
    const doomed = [...this.entries].filter(([, entry]) => entry.grant.grantId === grantId);
    if (doomed.length === 0) return;
    this.services.log.info(
      { grantId, sessions: doomed.length, why },
      'closing the sessions of a grant that is no longer valid',
    );
    await Promise.allSettled(doomed.map(([id, entry]) => this.remove(id, entry)));
  }

  /** Streamable HTTP: a session id this process does not know, started on another replica. */
  async resumeStreamable(grant: GrantContext, sessionId: string): Promise<StreamableEntry | undefined> {
    const row = await this.store.find(sessionId);
    if (!row || row.closedAt || row.grantId !== grant.grantId) return undefined;
    this.reserveSlot(grant);
    const capabilities = (row.clientCapabilities ?? {}) as ClientCapabilities;
    let session: AgentSession;
    try {
      // Initialized on the first replica: the session starts out with what that replica saw.
      session = await openAgentSession(this.services, this.hooks, {
        id: sessionId,
        grant,
        clientCapabilities: capabilities,
        resumed: {
          clientInfo: (row.clientInfo ?? undefined) as Implementation | undefined,
          protocolVersion: row.protocolVersion ?? undefined,
        },
      });
    } catch (error) {
      this.releaseSlot(grant);
      throw error;
    }
    const entry = await this.attachStreamable(grant, session, true);
    this.services.log.info({ sessionId, grantId: grant.grantId }, 'session resumed from another replica');
    return entry;
  }

  private async attachStreamable(
    grant: GrantContext,
    session: AgentSession,
    resumed = false,
  ): Promise<StreamableEntry> {
    const transport = new StreamableHttpTransport(session.id, resumed);
    const entry: StreamableEntry = { kind: 'streamable', grant, session, transport };
    transport.onclose = () => void this.remove(session.id, entry);
    await session.attach(transport);
    this.entries.set(session.id, entry);
    this.services.metrics.sessions = this.entries.size;
    return entry;
  }

  /** Legacy SSE: GET opens the event stream; the session is built when initialize is posted. */
  async createSse(grant: GrantContext, endpoint: string, res: ServerResponse): Promise<void> {
    await this.reserveSlotEvicting(grant);
    const transport = new SSEServerTransport(endpoint, res);
    const adapter = new LegacySseAdapter(transport);
    const entry: SseEntry = {
      kind: 'sse',
      grant,
      transport,
      session: undefined,
      opening: undefined,
      adapter,
    };
    adapter.onclose = () => void this.remove(transport.sessionId, entry);
    this.entries.set(transport.sessionId, entry);
    this.services.metrics.sessions = this.entries.size;
    await transport.start();
  }

  /** Legacy SSE: a POSTed message; the first one must be initialize. */
  async postSse(entry: SseEntry, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (!entry.session) {
      const initialize = findInitialize(body);
      if (!initialize) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(jsonRpcError(null, -32600, 'Session not initialized: send initialize first'));
        return;
      }
      entry.opening ??= openAgentSession(this.services, this.hooks, {
        id: entry.transport.sessionId,
        grant: entry.grant,
        clientCapabilities: initialize.params.capabilities,
      }).then(async (session) => {
        // attach() keeps the adapter's onclose (registry removal) and chains its own.
        await session.attach(entry.adapter);
        entry.session = session;
        return session;
      });
      await entry.opening;
    }
    entry.session!.lastSeenAt = Date.now();
    await entry.transport.handlePostMessage(req, res, body);
  }

  async remove(sessionId: string, entry: Entry): Promise<void> {
    if (this.entries.get(sessionId) !== entry) return;
    this.entries.delete(sessionId);
    this.releaseSlot(entry.grant);
    this.services.metrics.sessions = this.entries.size;
    await entry.session?.close();
    // A legacy SSE stream whose agent never sent initialize has no session to close it.
    if (entry.kind === 'sse') await entry.transport.close().catch(() => undefined);
    if (entry.kind === 'streamable') {
      await entry.transport.close().catch(() => undefined);
      await this.store.markClosed(sessionId);
    }
  }

  private closeIdle(): void {
    const cutoff = Date.now() - this.services.config.sessionIdleMs;
    for (const [id, entry] of this.entries) {
      if (
        entry.session &&
        entry.session.lastSeenAt < cutoff &&
        (entry.session.inflightCount === 0 || orphaned(entry))
      )
        void this.remove(id, entry);
    }
  }

  /** Re-syncs notify sessions of a server that their visible tools may have changed. */
  async notifyToolsChanged(serverId: string): Promise<void> {
    await Promise.allSettled(this.sessionsOf(serverId).map((s) => s.notifyToolsChanged()));
  }

  /** A toolset changed: its sessions here take the new members, prefixes and subsets, and hear tools/list_changed. */
  async toolsetChanged(toolsetId: string): Promise<void> {
    await Promise.allSettled(
      [...this.entries.values()]
        .filter((entry) => entry.session?.servesToolset(toolsetId))
        .map((entry) => (entry.session as ToolsetSession).refresh()),
    );
  }

  async closeAll(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.sweeper = undefined;
    this.heartbeatTimer = undefined;
    await Promise.allSettled([...this.entries].map(([id, entry]) => this.remove(id, entry)));
  }

  inflightTotal(): number {
    let n = 0;
    for (const entry of this.entries.values()) n += entry.session?.inflightCount ?? 0;
    return n;
  }
}

/**
 * A Streamable HTTP session with requests in flight whose client holds none of its streams (the
 * POSTs waiting for those answers and the GET stream all closed): its client went away (killed,
 * crashed, lost its network), the answers would be dropped, so it is closed like an idle one.
 */
function orphaned(entry: Entry): boolean {
  return entry.kind === 'streamable' && !entry.transport.hasOpenStream;
}

export type { Entry as SessionEntry, StreamableEntry, SseEntry };
