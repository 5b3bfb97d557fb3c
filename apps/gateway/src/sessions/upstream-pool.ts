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
// sessions. Routing of its server→client requests: they go to the only session that has a request
// in flight; when several have, the request is refused rather than guessed, since the wrong agent
// could see another agent's data. Progress follows its request (the SDK maps progress tokens).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import { loadUpstreamSpec } from '@portcullis/catalog/upstream-spec';
import { connectUpstream, upstreamPid, UpstreamRefusedError } from '@portcullis/upstream/connect-upstream';
import type { GatewayConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { ServerState } from '../state/server-state.ts';
import { trackRequestWrites } from './forward-request.ts';

/** What an upstream needs from a gateway session to deliver server→client traffic. */
export interface SessionSink {
  readonly id: string;
  readonly inflightCount: number;
  sendRequest(request: Request, signal: AbortSignal): Promise<Result>;
  sendNotification(notification: Notification): Promise<void>;
  isSubscribed(uri: string): boolean;
}

export interface UpstreamLink {
  readonly client: Client;
  readonly shared: boolean;
  /** False once the connection closed (process died, server went away): the session reconnects. */
  readonly alive: boolean;
  /** The session is done with this upstream (closes it unless shared). */
  release(): Promise<void>;
}

/** Client capabilities a shared stdio upstream is told about: everything we can route. */
const SHARED_CLIENT_CAPABILITIES: ClientCapabilities = { sampling: {}, elicitation: {}, roots: { listChanged: true } };

interface SharedUpstream {
  organizationId: string;
  key: string;
  client: Promise<Client>;
  sinks: Set<SessionSink>;
  idleTimer: NodeJS.Timeout | undefined;
  dead: boolean;
}

export interface UpstreamPoolEvents {
  /** An upstream said its tool list changed; the gateway re-syncs the catalog from this client. */
  onToolsChanged(serverId: string, client: Client): void;
}

export class UpstreamPool {
  private readonly shared = new Map<string, SharedUpstream>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly log: Logger,
    private readonly events: UpstreamPoolEvents,
  ) {}

  async connect(state: ServerState, sink: SessionSink, agentCapabilities: ClientCapabilities): Promise<UpstreamLink> {
    return state.server.transport === 'stdio' ? this.connectShared(state, sink) : this.connectOwn(state, sink, agentCapabilities);
  }

  private async connectOwn(state: ServerState, sink: SessionSink, agentCapabilities: ClientCapabilities): Promise<UpstreamLink> {
    const serverId = state.server.id;
    // Only what the gateway can carry back to the agent; tasks and experimental features are not forwarded.
    const capabilities: ClientCapabilities = {
      ...(agentCapabilities.sampling ? { sampling: agentCapabilities.sampling } : {}),
      ...(agentCapabilities.elicitation ? { elicitation: agentCapabilities.elicitation } : {}),
      ...(agentCapabilities.roots ? { roots: agentCapabilities.roots } : {}),
    };
    const client = await connectUpstream(loadUpstreamSpec(state.server, this.config.encryptionKey), {
      allowPrivateNetworks: this.config.allowPrivateUpstreams,
      privateOrigins: this.config.privateUpstreamOrigins,
      stdio: this.config.stdio,
      timeoutMs: this.config.upstreamTimeoutMs,
      maxMessageBytes: this.config.maxUpstreamMessageBytes,
      clientCapabilities: capabilities,
      setup: (c) => this.routeServerTraffic(c, serverId, capabilities, () => [sink]),
    });
    trackRequestWrites(client);
    let alive = true;
    client.onclose = () => {
      alive = false;
    };
    return {
      client,
      shared: false,
      get alive() {
        return alive;
      },
      release: () => client.close(),
    };
  }

  private async connectShared(state: ServerState, sink: SessionSink): Promise<UpstreamLink> {
    const serverId = state.server.id;
    // Changed connection settings (command, args, env) mean a new process for new sessions; other
    // writes to the row (a tool sync, a status) must not start a second copy of the server.
    const { transport, stdioTemplate, command, args, secretEnvEnc, url, secretHeadersEnc } = state.server;
    const key = JSON.stringify([transport, stdioTemplate, command, args, secretEnvEnc, url, secretHeadersEnc]);
    let entry = this.shared.get(serverId);
    if (entry && (entry.dead || entry.key !== key)) {
      this.retire(serverId, entry);
      entry = undefined;
    }
    if (!entry) {
      this.makeRoomForProcess(state.server.organizationId);
      const created: SharedUpstream = { organizationId: state.server.organizationId, key, client: Promise.resolve(undefined as unknown as Client), sinks: new Set(), idleTimer: undefined, dead: false };
      created.client = connectUpstream(loadUpstreamSpec(state.server, this.config.encryptionKey), {
        allowPrivateNetworks: this.config.allowPrivateUpstreams,
        privateOrigins: this.config.privateUpstreamOrigins,
        stdio: this.config.stdio,
        timeoutMs: this.config.upstreamTimeoutMs,
        maxMessageBytes: this.config.maxUpstreamMessageBytes,
        clientCapabilities: SHARED_CLIENT_CAPABILITIES,
        setup: (c) => this.routeServerTraffic(c, serverId, SHARED_CLIENT_CAPABILITIES, () => [...created.sinks]),
        onStderr: (line) => this.log.debug({ serverId, stderr: line.slice(0, 500) }, 'stdio upstream stderr'),
      }).then(
        (client) => {
          this.log.info({ serverId, pid: upstreamPid(client) }, 'stdio upstream started');
          trackRequestWrites(client);
          client.onclose = () => {
            created.dead = true;
            this.log.warn({ serverId }, 'stdio upstream exited; it restarts with the next session or call');
          };
          return client;
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
    let client: Client;
    try {
      client = await owner.client;
    } catch (error) {
      owner.sinks.delete(sink);
      if (this.shared.get(serverId) === owner) this.shared.delete(serverId);
      throw error;
    }
    return {
      client,
      shared: true,
      get alive() {
        return !owner.dead;
      },
      release: async () => {
        owner.sinks.delete(sink);
        if (owner.sinks.size === 0 && !owner.idleTimer && this.shared.get(serverId) === owner) {
          owner.idleTimer = setTimeout(() => this.retire(serverId, owner), this.config.stdioIdleMs);
          owner.idleTimer.unref();
        } else if (owner.sinks.size === 0 && this.shared.get(serverId) !== owner) {
          await client.close().catch(() => undefined);
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
      entry.client.then((c) => c.close()).catch(() => undefined);
    }
  }

  private routeServerTraffic(client: Client, serverId: string, capabilities: ClientCapabilities, sinks: () => SessionSink[]): void {
    const pick = (method: string): SessionSink => {
      const all = sinks();
      if (all.length === 1) return all[0]!;
      const busy = all.filter((s) => s.inflightCount > 0);
      if (busy.length === 1) return busy[0]!;
      throw new McpError(ErrorCode.InternalError, `Cannot tell which client session this ${method} request is for`);
    };
    const forward = async (request: Request, extra: { signal: AbortSignal }) => pick(request.method).sendRequest(request, extra.signal);
    if (capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, forward as never);
    if (capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, forward as never);
    if (capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, forward as never);

    const broadcast = async (notification: Notification) => {
      await Promise.allSettled(sinks().map((s) => s.sendNotification(notification)));
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.events.onToolsChanged(serverId, client));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, broadcast);
    client.setNotificationHandler(PromptListChangedNotificationSchema, broadcast);
    client.setNotificationHandler(LoggingMessageNotificationSchema, broadcast);
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      await Promise.allSettled(sinks().filter((s) => s.isSubscribed(notification.params.uri)).map((s) => s.sendNotification(notification)));
    });
  }

  async close(): Promise<void> {
    const entries = [...this.shared.entries()];
    this.shared.clear();
    await Promise.allSettled(
      entries.map(async ([, entry]) => {
        if (entry.idleTimer) clearTimeout(entry.idleTimer);
        const client = await entry.client;
        await client.close();
      }),
    );
  }
}
