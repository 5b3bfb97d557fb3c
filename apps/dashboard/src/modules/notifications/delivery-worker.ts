// The notification worker: a queue in PostgreSQL (notification_deliveries) and a loop that works
// it. The gateway never waits for any of this: it only writes the pending approval; the worker
// notices new approvals, queues one delivery per enabled channel, and sends them with per-channel
// backoff. A slow or dead receiver holds up only its own channel: each send is bounded in time and
// size, and a channel has at most one send in flight, so other channels and tenants go on.
import type { Db } from '@portcullis/db/client';
import type { Prisma } from '@portcullis/db/types';
import { createNodeFetch } from '@portcullis/upstream/node-fetch';
import { channelSecret } from './channels';
import {
  emailMessage,
  reconnectMessage,
  slackPayload,
  webhookPayload,
  type ApprovalFacts,
  type ReconnectFacts,
} from './messages';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './webhook-signature';

export interface WorkerOptions {
  /** The dashboard's public URL, for links to the approval. */
  baseUrl: string;
  /** Exact origins (scheme://host:port) a webhook may reach although private (WEBHOOK_PRIVATE_ORIGINS). */
  privateOrigins: readonly string[];
  /** Sends one e-mail or throws (undefined: e-mail is not configured). */
  sendMail?: (mail: { to: string; subject: string; text: string }) => Promise<void>;
  encryptionKey: Buffer;
  /** Per attempt. */
  timeoutMs?: number;
  maxAttempts?: number;
  /** Wait before retry n (1-based). */
  backoffMs?: (attempt: number) => number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 6;
/** 1 s, 2 s, 4 s … capped at 5 minutes. */
export const defaultBackoff = (attempt: number): number => Math.min(1_000 * 2 ** (attempt - 1), 300_000);
/** A receiver's answer is read (and dropped) up to this size. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 300;

/** Claims approvals not yet seen by any worker and queues their deliveries, in one transaction. */
export async function queueNewApprovals(db: Db, options: Pick<WorkerOptions, 'baseUrl'>): Promise<number> {
  return db.$transaction(async (tx) => {
    const claimed = await tx.$queryRaw<Array<{ id: string; status: string }>>`
      UPDATE approvals SET "notifiedAt" = now()
      WHERE id IN (SELECT id FROM approvals WHERE "notifiedAt" IS NULL ORDER BY "createdAt" LIMIT 100 FOR UPDATE SKIP LOCKED)
      RETURNING id, status::text AS status`;
    // Approvals decided before the worker saw them need no message.
    const ids = claimed.filter((c) => c.status === 'pending').map((c) => c.id);
    if (ids.length === 0) return 0;
    const approvals = await tx.approval.findMany({
      where: { id: { in: ids } },
      select: {
        id: true,
        organizationId: true,
        toolName: true,
        ruleId: true,
        arguments: true,
        createdAt: true,
        expiresAt: true,
        server: { select: { name: true } },
        grant: { select: { name: true } },
        organization: { select: { slug: true, name: true } },
      },
    });
    const channels = await tx.notificationChannel.findMany({
      where: { organizationId: { in: [...new Set(approvals.map((a) => a.organizationId))] }, enabled: true },
      select: { id: true, organizationId: true, kind: true, trusted: true },
    });
    const rows: Prisma.NotificationDeliveryCreateManyInput[] = [];
    for (const a of approvals) {
      const facts: ApprovalFacts = {
        id: a.id,
        toolName: a.toolName,
        serverName: a.server.name,
        grantName: a.grant.name,
        ruleId: a.ruleId,
        arguments: a.arguments,
        createdAt: a.createdAt,
        expiresAt: a.expiresAt,
        organization: a.organization,
      };
      for (const c of channels.filter((ch) => ch.organizationId === a.organizationId)) {
        const payload =
          c.kind === 'webhook'
            ? webhookPayload(facts, options.baseUrl, c.trusted)
            : c.kind === 'slack'
              ? slackPayload(facts, options.baseUrl, c.trusted)
              : emailMessage(facts, options.baseUrl, c.trusted);
        rows.push({
          organizationId: a.organizationId,
          channelId: c.id,
          approvalId: a.id,
          event: 'approval.requested',
          payload: payload as Prisma.InputJsonValue,
        });
      }
    }
    if (rows.length) await tx.notificationDelivery.createMany({ data: rows });
    return rows.length;
  });
}

/**
 * Connections the gateway (or a sync) marked needs_reconnect and no channel was told about yet:
 * one message per enabled channel of the organization, claimed once across dashboard replicas.
 */
export async function queueReconnectNotices(
  db: Db,
  options: Pick<WorkerOptions, 'baseUrl'>,
): Promise<number> {
  return db.$transaction(async (tx) => {
    const claimed = await tx.$queryRaw<Array<{ id: string }>>`
      UPDATE upstream_connections SET "reconnectNotifiedAt" = now()
      WHERE id IN (SELECT id FROM upstream_connections WHERE status = 'needs_reconnect' AND "reconnectNotifiedAt" IS NULL LIMIT 100 FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    if (claimed.length === 0) return 0;
    const connections = await tx.upstreamConnection.findMany({
      where: { id: { in: claimed.map((c) => c.id) } },
      select: {
        organizationId: true,
        serverId: true,
        subject: true,
        server: { select: { name: true } },
        user: { select: { email: true } },
        organization: { select: { slug: true, name: true } },
      },
    });
    const channels = await tx.notificationChannel.findMany({
      where: {
        organizationId: { in: [...new Set(connections.map((c) => c.organizationId))] },
        enabled: true,
      },
      select: { id: true, organizationId: true, kind: true },
    });
    const rows: Prisma.NotificationDeliveryCreateManyInput[] = [];
    for (const c of connections) {
      const facts: ReconnectFacts = {
        serverId: c.serverId,
        serverName: c.server.name,
        account: c.subject === 'shared' ? 'shared' : (c.user?.email ?? 'a member'),
        organization: c.organization,
      };
      for (const channel of channels.filter((ch) => ch.organizationId === c.organizationId))
        rows.push({
          organizationId: c.organizationId,
          channelId: channel.id,
          event: 'connection.needs_reconnect',
          payload: reconnectMessage(channel.kind, facts, options.baseUrl) as Prisma.InputJsonValue,
        });
    }
    if (rows.length) await tx.notificationDelivery.createMany({ data: rows });
    return rows.length;
  });
}

interface DueDelivery {
  id: string;
  channelId: string;
}

/**
 * Starts sending due deliveries, the oldest of each channel that has nothing in flight and is not
 * backing off; returns the sends started (not awaited by the loop).
 */
export async function startDueDeliveries(
  db: Db,
  options: WorkerOptions,
  inFlight: Set<string>,
): Promise<Array<Promise<void>>> {
  const busy = [...inFlight];
  const due = await db.$queryRaw<DueDelivery[]>`
    SELECT DISTINCT ON (d."channelId") d.id, d."channelId"
    FROM notification_deliveries d JOIN notification_channels c ON c.id = d."channelId"
    WHERE d.status = 'pending' AND d."nextAttemptAt" <= now() AND (d."lockedUntil" IS NULL OR d."lockedUntil" < now())
      AND c.enabled AND (c."pausedUntil" IS NULL OR c."pausedUntil" <= now())
      AND NOT (d."channelId" = ANY(${busy}::text[]))
    ORDER BY d."channelId", d."createdAt", d.id
    LIMIT 100`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started: Array<Promise<void>> = [];
  for (const d of due) {
    // Claimed for longer than a send can take, so another replica never sends it at the same time.
    const claim = await db.notificationDelivery.updateMany({
      where: {
        id: d.id,
        status: 'pending',
        OR: [{ lockedUntil: null }, { lockedUntil: { lt: new Date() } }],
      },
      data: { lockedUntil: new Date(Date.now() + timeoutMs + 30_000) },
    });
    if (claim.count !== 1) continue;
    inFlight.add(d.channelId);
    started.push(
      sendOne(db, options, d.id)
        .catch((error: unknown) =>
          console.error(
            `[notify] delivery ${d.id}: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => inFlight.delete(d.channelId)),
    );
  }
  return started;
}

type FetchLike = ReturnType<typeof createNodeFetch>;
const fetchers = new Map<string, FetchLike>();
function fetcherFor(origin: string, privateOrigins: readonly string[]): FetchLike {
  // Tenant-controlled URLs go through the private-address guard; the operator may allow exact origins.
  const allowPrivate = privateOrigins.includes(origin);
  const key = allowPrivate ? 'private' : 'guarded';
  let f = fetchers.get(key);
  if (!f)
    fetchers.set(
      key,
      (f = createNodeFetch({ allowPrivateNetworks: allowPrivate, maxMessageBytes: MAX_RESPONSE_BYTES })),
    );
  return f;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: WorkerOptions,
): Promise<number> {
  const target = new URL(url);
  const fetch = fetcherFor(target.origin, options.privateOrigins);
  const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const res = await fetch(target, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'user-agent': 'Portcullis-Notifications/1', ...headers },
    signal,
  });
  // The answer is not ours to keep (tenant-controlled): read it within the size bound and drop it.
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'No answer in time';
  const code = e?.code ?? e?.cause?.code;
  const text = `${code ? `${code}: ` : ''}${e?.message ?? String(error)}`;
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

async function sendOne(db: Db, options: WorkerOptions, deliveryId: string): Promise<void> {
  const delivery = await db.notificationDelivery.findUnique({
    where: { id: deliveryId },
    select: {
      id: true,
      payload: true,
      attempts: true,
      channel: { select: { id: true, organizationId: true, kind: true, target: true, secretEnc: true } },
    },
  });
  if (!delivery) return;
  const { channel } = delivery;
  const started = Date.now();
  let ok = false;
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    if (channel.kind === 'email') {
      if (!options.sendMail) throw new Error('E-mail is not configured (SMTP_URL is not set)');
      const mail = delivery.payload as { subject: string; text: string };
      for (const to of channel.target
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean))
        await options.sendMail({ to, subject: mail.subject, text: mail.text });
      ok = true;
    } else {
      const body = JSON.stringify(delivery.payload);
      const headers: Record<string, string> = { [DELIVERY_HEADER]: delivery.id };
      if (channel.kind === 'webhook') {
        const secret = channelSecret(channel, options.encryptionKey);
        const timestamp = Math.floor(Date.now() / 1000);
        headers[TIMESTAMP_HEADER] = String(timestamp);
        if (secret) headers[SIGNATURE_HEADER] = signWebhook(secret, timestamp, body);
      }
      statusCode = await post(channel.target, body, headers, options);
      ok = statusCode >= 200 && statusCode < 300;
      if (!ok) error = `The receiver answered HTTP ${statusCode}`;
    }
  } catch (e) {
    error = describeError(e);
  }
  const attempts = delivery.attempts + 1;
  const now = new Date();
  const durationMs = Date.now() - started;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryAt = new Date(now.getTime() + (options.backoffMs ?? defaultBackoff)(attempts));
  const giveUp = !ok && attempts >= maxAttempts;
  await db.$transaction([
    db.notificationAttempt.create({
      data: { deliveryId: delivery.id, at: now, ok, statusCode, error, durationMs },
    }),
    db.notificationDelivery.update({
      where: { id: delivery.id },
      data: ok
        ? {
            status: 'delivered',
            attempts,
            deliveredAt: now,
            lastStatusCode: statusCode,
            lastError: null,
            lockedUntil: null,
          }
        : {
            status: giveUp ? 'failed' : 'pending',
            attempts,
            nextAttemptAt: retryAt,
            lastStatusCode: statusCode,
            lastError: error,
            lockedUntil: null,
          },
    }),
    // The channel backs off as a whole (its later messages wait too, in order); success lifts it.
    db.notificationChannel.update({
      where: { id: channel.id },
      data: { pausedUntil: ok || giveUp ? null : retryAt },
    }),
  ]);
}

/** Runs the worker every `intervalMs` until stopped; errors are logged and the loop goes on. */
export function startNotificationWorker(
  db: Db,
  options: WorkerOptions,
  intervalMs = 500,
): { stop(): Promise<void> } {
  const inFlight = new Set<string>();
  const sends = new Set<Promise<void>>();
  let stopped = false;
  let running: Promise<void> | null = null;
  const tick = async () => {
    try {
      await queueNewApprovals(db, options);
      await queueReconnectNotices(db, options);
      for (const send of await startDueDeliveries(db, options, inFlight)) {
        sends.add(send);
        void send.finally(() => sends.delete(send));
      }
    } catch (error) {
      console.error(`[notify] worker: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const timer = setInterval(() => {
    // One tick at a time: a slow database skips ticks rather than piling them up.
    if (stopped || running) return;
    running = tick().finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running) await running;
      await Promise.allSettled([...sends]);
    },
  };
}
