// Upstream connections for gateway sessions.
//
// HTTP and SSE upstreams: one upstream connection per gateway session. The upstream then sees one
// session per agent session, so its requests to the client (sampling, elicitation, roots), its
// notifications, subscriptions and log levels all belong to exactly one agent, as without us.
//
// stdio upstreams: one process per server, shared by all its sessions. Starting a process per
// session would be slow and would give each agent its own copy of server state; one process is
// what the server's author expects (it is what a desktop client runs). It is started on first use,
// restarted on the next session after it dies, and stopped after GATEWAY_STDIO_IDLE_MS without
// sessions. Routing of its server→client requests (sampling, elicitation, roots, a vendor's): stdio
// carries nothing that ties such a request to the call it serves, so it goes to the session that has
// a request waiting on this process's answer (the only session, or the only one with a request
// forwarded and not yet answered; a call still held for approval, a rate limit or the gateway's own
// answer does not count). When several sessions have a request at the process, or none has, it is
// refused with an error to the process rather than guessed, since the wrong agent could see another
// agent's data; notifications that belong to one call follow the same rule and are otherwise
// dropped. Progress follows its request (the connection maps progress tokens), and request ids are
// the connection's own, so agents never see each other's ids. Subscriptions: the process sees one
// subscription per URI for all its sessions, so a session's resources/unsubscribe reaches it only
// when no other session of the process still subscribes to that URI (answered by the gateway
// otherwise), and a closing session unsubscribes the URIs only it held.
import { ErrorCode, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { loadUpstreamSpec } from '@portcullis/catalog/upstream-spec';
import { UpstreamRefusedError, type ConnectUpstreamOptions } from '@portcullis/upstream/connect-upstream';
import { outgoingContext } from '../ops/tracing.ts';
import {
  UpstreamConnection,
  type Params,
  type InitializeOutcome,
  type UpstreamHandlers,
} from '@portcullis/upstream/upstream-connection';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { AgentNotification } from '../agent-request.ts';
import type { GatewayConfig } from '../config.ts';
import { JsonRpcError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ServerState } from '../state/server-state.ts';
import { unauthorized } from './forward-request.ts';
import type { UpstreamAuth, UpstreamBearer } from './upstream-auth.ts';

/** What an upstream needs from a gateway session to deliver server→client traffic. */
export interface SessionSink {
  readonly id: string;
  /** Whose connected account a sign-in server is reached with (see upstream-auth.ts). */
  readonly actingUserId: string | null;
  readonly inflightCount: number;
  /** Requests of this session forwarded to the upstream and not yet answered by it. */
  readonly forwardingCount: number;
  /** A request from the upstream; settles with the agent's result or rejects with its error (JsonRpcError). */
  sendRequest(method: string, params: Params | undefined, signal: AbortSignal): Promise<Params>;
  sendNotification(notification: AgentNotification): void;
  isSubscribed(uri: string): boolean;
}

export interface UpstreamLink {
  readonly connection: UpstreamConnection;
  /** The upstream as it introduced itself (a link without a connection: as last synced). */
  readonly server: InitializeOutcome;
  readonly shared: boolean;
  /** False once the connection closed (process died, server went away): the session reconnects. */
  readonly alive: boolean;
  /** Whether another session of this (shared) upstream subscribes to this URI; never on an own connection. */
  subscribedElsewhere(uri: string): boolean;
  /** The session is done with this upstream (closes it unless shared). */
  release(): Promise<void>;
  /** On a server behind sign-in: the connected account's token this connection sends. */
  readonly bearer?: UpstreamBearer | undefined;
}

/** Notifications of a shared upstream that concern all its sessions. */
const BROADCAST = new Set([
  'notifications/message',
  'notifications/resources/list_changed',
  'notifications/prompts/list_changed',
]);

/** Client capabilities a shared stdio upstream is told about: everything we can route. */
const SHARED_CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: {},
  roots: { listChanged: true },
};

interface SharedUpstream {
  organizationId: string;
  key: string;
  connection: Promise<UpstreamConnection>;
  sinks: Set<SessionSink>;
  idleTimer: NodeJS.Timeout | undefined;
  dead: boolean;
}

export interface UpstreamPoolEvents {
  /** An upstream said its tool list changed; the gateway re-syncs the catalog over this connection. */
  onToolsChanged(serverId: string, connection: UpstreamConnection): void;
}

export class UpstreamPool {
  private readonly shared = new Map<string, SharedUpstream>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly log: Logger,
    private readonly events: UpstreamPoolEvents,
    private readonly auth: UpstreamAuth,
  ) {}

  async connect(
    state: ServerState,
    sink: SessionSink,
    agentCapabilities: ClientCapabilities,
  ): Promise<UpstreamLink> {
    return state.server.transport === 'stdio'
      ? this.connectShared(state, sink)
      : this.connectOwn(state, sink, agentCapabilities);
  }

  private options(
    capabilities: ClientCapabilities,
    extra: Partial<ConnectUpstreamOptions> = {},
  ): ConnectUpstreamOptions {
    return {
      allowPrivateNetworks: this.config.allowPrivateUpstreams,
      privateOrigins: this.config.privateUpstreamOrigins,
      stdio: this.config.stdio,
      timeoutMs: this.config.upstreamTimeoutMs,
      maxMessageBytes: this.config.maxUpstreamMessageBytes,
      clientCapabilities: capabilities,
      // The trace context of the call being forwarded, as W3C headers (none when tracing is off).
      contextHeaders: outgoingContext,
      ...extra,
    };
  }

  private async connectOwn(
    state: ServerState,
    sink: SessionSink,
    agentCapabilities: ClientCapabilities,
  ): Promise<UpstreamLink> {
    const serverId = state.server.id;
    // What the gateway can carry back to the agent, as the agent declared it.
    const capabilities: ClientCapabilities = {
      ...(agentCapabilities.sampling ? { sampling: agentCapabilities.sampling } : {}),
      ...(agentCapabilities.elicitation ? { elicitation: agentCapabilities.elicitation } : {}),
      ...(agentCapabilities.roots ? { roots: agentCapabilities.roots } : {}),
    };
    let alive = true;
    const holder: { connection?: UpstreamConnection } = {};
    // A server behind sign-in: the acting person's (or the shared) connected account, or
    // NeedsConnectionError before anything is sent.
    const bearer = await this.auth.bearerFor(state, sink.actingUserId);
    const open = () =>
      UpstreamConnection.open(
        loadUpstreamSpec(state.server, this.config.encryptionKey),
        this.options(capabilities, bearer ? { authorization: () => bearer.header() } : {}),
        this.route(
          serverId,
          holder,
          () => [sink],
          false,
          () => (alive = false),
        ),
      );
    let connection: UpstreamConnection;
    const sentWith = bearer?.current;
    try {
      connection = await open();
    } catch (error) {
      // The upstream refused the stored token (revoked, or expired early): refreshed once, then retried.
      if (!bearer || !unauthorized(error)) throw error;
      await bearer.refresh(sentWith);
      connection = await open();
    }
    holder.connection = connection;
    const untrack = bearer
      ? this.auth.track(serverId, bearer, () => {
          alive = false;
          void connection.close().catch(() => undefined);
        })
      : undefined;
    return {
      connection,
      server: connection.server,
      shared: false,
      bearer,
      get alive() {
        return alive && !connection.closed;
      },
      subscribedElsewhere: () => false,
      release: () => {
        untrack?.();
        return connection.close();
      },
    };
  }

  private async connectShared(state: ServerState, sink: SessionSink): Promise<UpstreamLink> {
    const serverId = state.server.id;
    // Changed connection settings (command, args, env) mean a new process for new sessions; other
    // writes to the row (a tool sync, a status) must not start a second copy of the server.
    const { transport, stdioTemplate, command, args, secretEnvEnc, url, secretHeadersEnc } = state.server;
    const key = JSON.stringify([
      transport,
      stdioTemplate,
      command,
      args,
      secretEnvEnc,
      url,
      secretHeadersEnc,
    ]);
    let entry = this.shared.get(serverId);
    if (entry && (entry.dead || entry.key !== key)) {
      this.retire(serverId, entry);
      entry = undefined;
    }
    if (!entry) {
      this.makeRoomForProcess(state.server.organizationId);
      const created: SharedUpstream = {
        organizationId: state.server.organizationId,
        key,
        connection: Promise.resolve(undefined as unknown as UpstreamConnection),
        sinks: new Set(),
        idleTimer: undefined,
        dead: false,
      };
      const holder: { connection?: UpstreamConnection } = {};
      const onClose = () => {
        created.dead = true;
        this.log.warn({ serverId }, 'stdio upstream exited; it restarts with the next session or call');
      };
      created.connection = UpstreamConnection.open(
        loadUpstreamSpec(state.server, this.config.encryptionKey),
        this.options(SHARED_CLIENT_CAPABILITIES, {
          onStderr: (line) =>
            this.log.debug({ serverId, stderr: line.slice(0, 500) }, 'stdio upstream stderr'),
        }),
        this.route(serverId, holder, () => [...created.sinks], true, onClose),
      ).then(
        (connection) => {
          holder.connection = connection;
          this.log.info({ serverId, pid: connection.pid }, 'stdio upstream started');
          return connection;
        },
        (error: unknown) => {
          created.dead = true;
          throw error;
        },
      );
      entry = created;
      this.shared.set(serverId, created);
    }
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.sinks.add(sink);
    const owner = entry;
    let connection: UpstreamConnection;
    try {
      connection = await owner.connection;
    } catch (error) {
      owner.sinks.delete(sink);
      if (this.shared.get(serverId) === owner) this.shared.delete(serverId);
      throw error;
    }
    return {
      connection,
      server: connection.server,
      shared: true,
      get alive() {
        return !owner.dead && !connection.closed;
      },
      subscribedElsewhere: (uri) => [...owner.sinks].some((s) => s !== sink && s.isSubscribed(uri)),
      release: async () => {
        owner.sinks.delete(sink);
        if (owner.sinks.size === 0 && !owner.idleTimer && this.shared.get(serverId) === owner) {
          owner.idleTimer = setTimeout(() => this.retire(serverId, owner), this.config.stdioIdleMs);
          owner.idleTimer.unref();
        } else if (owner.sinks.size === 0 && this.shared.get(serverId) !== owner) {
          await connection.close().catch(() => undefined);
        }
      },
    };
  }

  /**
   * One organization runs at most GATEWAY_MAX_STDIO_PER_ORGANIZATION stdio processes on this
   * gateway, so one tenant's many servers cannot take the host's memory and processes from the
   * others. An idle one (no session) of the same organization is stopped to make room.
   */
  private makeRoomForProcess(organizationId: string): void {
    const own = [...this.shared.entries()].filter(([, e]) => e.organizationId === organizationId && !e.dead);
    if (own.length < this.config.maxStdioPerOrganization) return;
    const idle = own.find(([, e]) => e.sinks.size === 0);
    if (idle) return this.retire(idle[0], idle[1]);
    throw new UpstreamRefusedError(
      `This organization already runs ${own.length} stdio servers with open sessions on this gateway (at most ${this.config.maxStdioPerOrganization}); close sessions of another server and retry`,
    );
  }

  private retire(serverId: string, entry: SharedUpstream): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    if (this.shared.get(serverId) === entry) this.shared.delete(serverId);
    if (entry.sinks.size === 0 || entry.dead) {
      entry.connection.then((c) => c.close()).catch(() => undefined);
    }
  }

  /**
   * Where the upstream's own traffic goes. Its requests (sampling, elicitation, roots, anything
   * else) go to one agent session and the answer comes back verbatim; its cancellation of such a
   * request aborts it; its notifications go to every session it serves (resource updates only to
   * subscribers); tools/list_changed re-syncs the catalog (the gateway tells agents itself).
   */
  private route(
    serverId: string,
    holder: { connection?: UpstreamConnection },
    sinks: () => SessionSink[],
    shared: boolean,
    onClose: () => void,
  ): UpstreamHandlers {
    const asked = new Map<RequestId, AbortController>();
    /** The session waiting on this upstream, when exactly one is (see the top of this file). */
    const waiting = (all: SessionSink[]): SessionSink | undefined => {
      if (all.length === 1) return all[0];
      const at = all.filter((s) => s.forwardingCount > 0);
      return at.length === 1 ? at[0] : undefined;
    };
    const pick = (method: string): SessionSink => {
      const all = sinks();
      const sink = waiting(all);
      if (sink) return sink;
      throw new JsonRpcError(
        ErrorCode.InternalError,
        all.length === 0
          ? `No client session is connected to answer this ${method} request`
          : `Cannot tell which client session this ${method} request is for: ${all.filter((s) => s.forwardingCount > 0).length || 'none'} of the ${all.length} sessions sharing this server have a request waiting on it`,
      );
    };
    return {
      onRequest: ({ id, method, params }) => {
        const connection = holder.connection;
        if (!connection) return;
        const controller = new AbortController();
        asked.set(id, controller);
        let answer: Promise<Params>;
        try {
          answer = pick(method).sendRequest(method, params, controller.signal);
        } catch (error) {
          answer = Promise.reject(error);
        }
        answer
          .then(
            (result) => connection.respond(id, { result }),
            (error: unknown) => {
              if (controller.signal.aborted) return;
              const { code, message, data } =
                error instanceof JsonRpcError
                  ? error
                  : new JsonRpcError(
                      ErrorCode.InternalError,
                      error instanceof Error ? error.message : String(error),
                    );
              return connection.respond(id, {
                error: { code, message, ...(data === undefined ? {} : { data }) },
              });
            },
          )
          .catch((error: unknown) =>
            this.log.debug({ err: error, serverId }, 'answer to upstream request dropped'),
          )
          .finally(() => asked.delete(id));
      },
      onNotification: (notification) => {
        const { method, params } = notification;
        if (method === 'notifications/tools/list_changed') {
          if (holder.connection) this.events.onToolsChanged(serverId, holder.connection);
          return;
        }
        if (method === 'notifications/cancelled') {
          asked.get(params?.requestId as RequestId)?.abort();
          return;
        }
        if (method === 'notifications/resources/updated') {
          for (const sink of sinks())
            if (sink.isSubscribed(String(params?.uri))) sink.sendNotification(notification);
          return;
        }
        // Progress for no request in flight (late, or for one that was cancelled): every token the
        // upstream has is the connection's own, meaningless to an agent (and on a shared process
        // it could be anyone's), so it goes nowhere.
        if (method === 'notifications/progress') return;
        // List changes and log messages concern every session of the server (log levels are
        // filtered per session). Anything else from a shared process belongs to one agent's call:
        // it goes to the only session with a request in flight (or the only session), and is
        // dropped when that is ambiguous rather than shown to another agent.
        const all = sinks();
        if (!shared || BROADCAST.has(method) || all.length === 1) {
          for (const sink of all) sink.sendNotification(notification);
          return;
        }
        waiting(all)?.sendNotification(notification);
      },
      onClose,
      onError: (error) => this.log.debug({ err: error, serverId }, 'upstream transport error'),
    };
  }

  async close(): Promise<void> {
    const entries = [...this.shared.entries()];
    this.shared.clear();
    await Promise.allSettled(
      entries.map(async ([, entry]) => {
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        const connection = await entry.connection;
        await connection.close();
      }),
    );
  }
}
