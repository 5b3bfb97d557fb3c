// Connected accounts at call time (docs/upstream-oauth.md). A server behind sign-in is reached with
// the shared account or, per user, the account of the grant's acting user (its creator, or the
// person who approved the MCP client's OAuth consent); never with the agent's own Portcullis token
// and never with another user's or organization's. Each upstream connection holds one UpstreamBearer:
// its token is refreshed before expiry and after the upstream refused it (once across replicas,
// packages/catalog upstream-tokens.ts), and dropped at once when the account is disconnected, the
// member removed or the connection marked needs_reconnect (change event), so the next call gets
// needs_connection instead of going out.
import {
  connectionSubject,
  REFRESH_AHEAD_MS,
  UpstreamTokens,
  type TokenLookup,
} from '@portcullis/catalog/upstream-tokens';
import { NeedsConnectionError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ServerState } from '../state/server-state.ts';

/** The bearer token one upstream connection sends. */
export class UpstreamBearer {
  private revoked = false;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly auth: UpstreamAuth,
    private readonly state: ServerState,
    readonly subject: string,
    private token: string,
    private expiresAt: Date | null,
  ) {}

  /** For the transport, per request: undefined once revoked (nothing goes out with a dropped token). */
  header(): string | undefined {
    return this.revoked ? undefined : `Bearer ${this.token}`;
  }

  get current(): string {
    return this.token;
  }

  /** Whether a call should wait for a refresh first (sync: no promise on the hot path). */
  stale(): boolean {
    return (
      this.revoked || (this.expiresAt !== null && this.expiresAt.getTime() - Date.now() < REFRESH_AHEAD_MS)
    );
  }

  /** A fresh token, or NeedsConnectionError. `rejected`: the token the upstream just refused. */
  refresh(rejected?: string): Promise<void> {
    // Refused a token this bearer already replaced (another request's refresh won): use the new one.
    if (rejected !== undefined && rejected !== this.token && !this.revoked) return Promise.resolve();
    this.refreshing ??= (async () => {
      const lookup = await this.auth.lookup(this.state, this.subject, rejected);
      if (!lookup.ok) {
        this.revoked = true;
        throw this.auth.needsConnection(this.state, lookup.reason);
      }
      this.token = lookup.accessToken;
      this.expiresAt = lookup.expiresAt;
      this.revoked = false;
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** The account was disconnected or must be reconnected: stop sending its token. */
  drop(): void {
    this.revoked = true;
  }
}

interface Registered {
  bearer: UpstreamBearer;
  onDropped: () => void;
}

export class UpstreamAuth {
  private readonly live = new Map<string, Set<Registered>>();

  constructor(
    private readonly tokens: UpstreamTokens,
    private readonly dashboardUrl: string,
    private readonly log: Logger,
  ) {}

  /** Whether a server needs a connected account. */
  signsIn(state: ServerState): boolean {
    return state.server.oauth !== null;
  }

  /**
   * The bearer for a new upstream connection of this server and acting user; undefined for servers
   * without sign-in. Throws NeedsConnectionError when there is no usable account.
   */
  async bearerFor(state: ServerState, actingUserId: string | null): Promise<UpstreamBearer | undefined> {
    const oauth = state.server.oauth;
    if (!oauth) return undefined;
    const subject = connectionSubject(oauth.connectionMode, actingUserId);
    if (subject === null) throw this.needsConnection(state, 'no_user');
    const lookup = await this.lookup(state, subject);
    if (!lookup.ok) throw this.needsConnection(state, lookup.reason);
    return new UpstreamBearer(this, state, subject, lookup.accessToken, lookup.expiresAt);
  }

  lookup(state: ServerState, subject: string, rejected?: string): Promise<TokenLookup> {
    return this.tokens.token(state.server.organizationId, state.server.id, subject, rejected);
  }

  needsConnection(state: ServerState, reason: NeedsConnectionError['reason']): NeedsConnectionError {
    const url = `${this.dashboardUrl}/o/${encodeURIComponent(state.server.organizationSlug)}/connections?server=${encodeURIComponent(state.server.id)}`;
    return new NeedsConnectionError(
      state.server.name,
      url,
      reason,
      state.server.oauth?.connectionMode === 'shared',
    );
  }

  /** Tracks a live bearer; `onDropped` closes its upstream connection when the account goes away. */
  track(serverId: string, bearer: UpstreamBearer, onDropped: () => void): () => void {
    const key = `${serverId}\u0000${bearer.subject}`;
    const entry = { bearer, onDropped };
    let set = this.live.get(key);
    if (!set) this.live.set(key, (set = new Set()));
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.live.get(key) === set) this.live.delete(key);
    };
  }

  /** A connection changed (connected again, disconnected, needs reconnect): live bearers of it are dropped. */
  connectionChanged(serverId: string, subject: string): void {
    const set = this.live.get(`${serverId}\u0000${subject}`);
    if (!set) return;
    this.log.info(
      { serverId, connections: set.size },
      'upstream account changed; its connections are closed',
    );
    for (const entry of [...set]) {
      entry.bearer.drop();
      entry.onDropped();
    }
  }
}
