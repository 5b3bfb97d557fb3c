// subscriptions/listen, the 2026-07-28 replacement of the GET stream: open listen streams, what each
// was acknowledged, and the list changes written to them (the gateway's own tool list changes, and
// the upstream's prompt and resource list changes heard on the pooled session a stream holds open).
import type { ServerResponse } from 'node:http';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { AgentNotification } from '../agent-request.ts';
import { JsonRpcError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import { grantTarget, type GrantContext } from '../state/grant-cache.ts';
import type { ModernRequest } from './modern-era.ts';
import type { PooledExchange, SessionPool } from './session-pool.ts';

/** Upstream list changes a listen stream can carry, by the filter key that asks for them. */
const LIST_CHANGES: Record<string, string> = {
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};
/** A comment line on an open listen stream this often, so proxies keep it open. */
const LISTEN_KEEPALIVE_MS = 15_000;

/** An open subscriptions/listen stream (tool list changes of one grant's server). */
export interface Listener {
  grantId: string;
  serverId: string;
  subscriptionId: string | number;
  /** The notifications it was acknowledged (toolsListChanged, promptsListChanged, resourcesListChanged). */
  honored: Record<string, true>;
  /** The pooled upstream session that hears the upstream's list changes for it (kept open while it listens). */
  pooledKey: string;
  res: ServerResponse;
  keepAlive: NodeJS.Timeout;
}

export class ListenStreams {
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly services: GatewayServices,
    private readonly pool: SessionPool<PooledExchange>,
  ) {}

  /**
   * Opens a listen stream: the acknowledgement (with what is honored), then
   * notifications/tools/list_changed whenever the policy or catalog of the grant's server changes
   * (every replica hears those changes, so any replica can hold the stream). Only tool list changes
   * are offered: prompts, resources and resource updates are refused by the acknowledgement.
   */
  async listen(grant: GrantContext, request: ModernRequest, res: ServerResponse): Promise<void> {
    const filter = request.params.notifications;
    if (!filter || typeof filter !== 'object' || Array.isArray(filter)) {
      throw new JsonRpcError(
        ErrorCode.InvalidParams,
        "Invalid params: 'notifications' is required and must be a subscription filter object",
      );
    }
    const open = this.ofGrant(grant.grantId).length;
    if (open >= this.services.config.maxSessionsPerGrant) {
      throw new JsonRpcError(
        ErrorCode.InternalError,
        `Subscription limit reached: at most ${this.services.config.maxSessionsPerGrant} open listen streams per grant on this gateway`,
      );
    }
    const session = await this.pool.sessionFor(grant, request);
    const view = session.describe();
    const asked = filter as Record<string, unknown>;
    // Tool list changes come from policy, catalog and upstream; prompt and resource list changes from
    // the upstream (on this pooled session), and only where the upstream has them.
    const honored: Record<string, true> = {};
    if (asked.toolsListChanged === true && view.capabilities.tools) honored.toolsListChanged = true;
    if (asked.promptsListChanged === true && view.capabilities.prompts?.listChanged)
      honored.promptsListChanged = true;
    if (asked.resourcesListChanged === true && view.capabilities.resources?.listChanged)
      honored.resourcesListChanged = true;
    const subscriptionId = request.id;
    const frame = (message: Record<string, unknown>) =>
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...message })}\n\n`);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    frame({
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: honored, _meta: { [SUBSCRIPTION_ID_META_KEY]: subscriptionId } },
    });
    if (Object.keys(honored).length === 0) {
      // Nothing to deliver: the subscription ends at once, gracefully.
      frame({
        id: subscriptionId,
        result: {
          resultType: 'complete',
          _meta: {
            [SUBSCRIPTION_ID_META_KEY]: subscriptionId,
            'io.modelcontextprotocol/serverInfo': view.serverInfo,
          },
        },
      });
      res.end();
      return;
    }
    const listener: Listener = {
      grantId: grant.grantId,
      // (A toolset grant's streams hear its toolset's changes and those of its member servers.)
      serverId: grantTarget(grant),
      subscriptionId,
      honored,
      pooledKey: this.pool.pooledOf(session).key,
      res,
      keepAlive: setInterval(() => res.write(': keepalive\n\n'), LISTEN_KEEPALIVE_MS),
    };
    listener.keepAlive.unref();
    this.listeners.add(listener);
    res.on('close', () => {
      clearInterval(listener.keepAlive);
      this.listeners.delete(listener);
    });
  }

  /** Policy or catalog changed what the grants of this server may see. */
  notifyToolsChanged(serverId: string): void {
    for (const listener of this.listeners) {
      if (listener.serverId !== serverId || !listener.honored.toolsListChanged) continue;
      listener.res.write(
        `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: listener.subscriptionId } } })}\n\n`,
      );
    }
  }

  /** An upstream notification heard on a pooled session: true if it is a list change (written to the streams that asked). */
  routeListChange(pooledKey: string, notification: AgentNotification): boolean {
    const kind = LIST_CHANGES[notification.method];
    if (kind === undefined) return false;
    for (const listener of this.listeners)
      if (listener.pooledKey === pooledKey && listener.honored[kind])
        listener.res.write(
          `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: notification.method, params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: listener.subscriptionId } } })}\n\n`,
        );
    return true;
  }

  /** Whether a stream holds this pooled session open. */
  listened(pooledKey: string): boolean {
    return [...this.listeners].some((l) => l.pooledKey === pooledKey);
  }

  ofGrant(grantId: string): Listener[] {
    return [...this.listeners].filter((l) => l.grantId === grantId);
  }

  end(listener: Listener): void {
    clearInterval(listener.keepAlive);
    this.listeners.delete(listener);
    listener.res.end();
  }

  endAll(): void {
    for (const listener of [...this.listeners]) this.end(listener);
  }
}
