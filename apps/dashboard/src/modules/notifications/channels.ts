// Per-organization notification channels for approvals, managed by admins: outgoing webhooks
// (signed), Slack-compatible incoming webhooks, and e-mail when the operator configured SMTP.
import type { Db } from '@portcullis/db/client';
import type { NotificationChannelKind } from '@portcullis/db/types';
import { decryptSecret, encryptSecret, parseEncryptionKey } from '@portcullis/crypto/secret-box';
import { z } from 'zod';
import { env } from '../../env';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { NotFoundError, ValidationError, parseInput } from '../../server/errors';
import { newWebhookSecret } from './webhook-signature';

const MAX_ADDRESSES = 10;

const channelInput = z
  .object({
    name: z.string().trim().min(1, 'Enter a channel name.').max(100),
    kind: z.enum(['webhook', 'slack', 'email'], 'Choose webhook, Slack or e-mail.'),
    target: z.string().trim().min(1, 'Enter where to send.').max(2000),
    trusted: z.boolean().default(false),
  })
  .superRefine((value, issues) => {
    if (value.kind === 'email') {
      const addresses = value.target
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      const bad = addresses.find((a) => !z.email().safeParse(a).success);
      if (addresses.length === 0 || addresses.length > MAX_ADDRESSES || bad) {
        issues.addIssue({
          code: 'custom',
          path: ['target'],
          message: bad
            ? `${bad} is not an e-mail address.`
            : `Enter 1 to ${MAX_ADDRESSES} addresses, comma-separated.`,
        });
      }
      return;
    }
    let url: URL | undefined;
    try {
      url = new URL(value.target);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
      issues.addIssue({
        code: 'custom',
        path: ['target'],
        message:
          'Enter an http(s) URL without a user name or password, e.g. https://hooks.example.com/portcullis.',
      });
    }
  });
export type ChannelInput = z.input<typeof channelInput>;

function encryptionKey(): Buffer {
  return parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
}

function secretContext(organizationId: string, channelId: string): string {
  return `notification-channel:${organizationId}:${channelId}`;
}

/** The channel's HMAC key (webhooks only). */
export function channelSecret(
  channel: { id: string; organizationId: string; secretEnc: string | null },
  key = encryptionKey(),
): string | null {
  return channel.secretEnc
    ? decryptSecret(key, channel.secretEnc, secretContext(channel.organizationId, channel.id))
    : null;
}

export async function listChannels(db: Db, ctx: OrgContext) {
  return db.notificationChannel.findMany({
    where: { organizationId: ctx.organizationId },
    select: {
      id: true,
      name: true,
      kind: true,
      target: true,
      trusted: true,
      enabled: true,
      pausedUntil: true,
      createdAt: true,
    },
    orderBy: { name: 'asc' },
  });
}

/** Creates a channel; a webhook's signing secret is returned once and stored encrypted. */
export async function createChannel(
  db: Db,
  ctx: OrgContext,
  raw: ChannelInput,
): Promise<{ id: string; name: string; secret: string | null }> {
  assertRole(ctx, 'admin');
  const input = parseInput(channelInput, raw);
  if (input.kind === 'email' && !env().SMTP_URL) {
    throw new ValidationError(
      'E-mail channels need the operator to configure SMTP (SMTP_URL); use a webhook or Slack channel instead.',
      '/kind',
    );
  }
  const secret = input.kind === 'webhook' ? newWebhookSecret() : null;
  const kind: NotificationChannelKind = input.kind;
  const created = await db.$transaction(async (tx) => {
    if (
      await tx.notificationChannel.findFirst({
        where: { organizationId: ctx.organizationId, name: input.name },
        select: { id: true },
      })
    ) {
      throw new ValidationError(
        `A channel named ${input.name} already exists; choose another name.`,
        '/name',
      );
    }
    const row = await tx.notificationChannel.create({
      data: {
        organizationId: ctx.organizationId,
        name: input.name,
        kind,
        target: input.target,
        trusted: input.trusted,
      },
      select: { id: true, name: true },
    });
    if (secret) {
      await tx.notificationChannel.update({
        where: { id: row.id },
        data: {
          secretEnc: encryptSecret(encryptionKey(), secret, secretContext(ctx.organizationId, row.id)),
        },
      });
    }
    await recordAdminEvent(
      tx,
      ctx,
      'notification_channel.create',
      { type: 'notification_channel', id: row.id },
      { name: input.name, kind, trusted: input.trusted },
    );
    return row;
  });
  return { ...created, secret };
}

/** Turns a channel on or off, or changes whether it receives full arguments. */
export async function updateChannel(
  db: Db,
  ctx: OrgContext,
  channelId: string,
  change: { enabled?: boolean; trusted?: boolean },
): Promise<void> {
  assertRole(ctx, 'admin');
  await db.$transaction(async (tx) => {
    const { count } = await tx.notificationChannel.updateMany({
      where: { id: channelId, organizationId: ctx.organizationId },
      // Turning a channel back on also lifts its backoff, so a fixed receiver is tried at once.
      data: { ...change, ...(change.enabled ? { pausedUntil: null } : {}) },
    });
    if (!count) throw new NotFoundError('Notification channel not found');
    await recordAdminEvent(
      tx,
      ctx,
      'notification_channel.update',
      { type: 'notification_channel', id: channelId },
      change,
    );
  });
}

export async function deleteChannel(db: Db, ctx: OrgContext, channelId: string): Promise<void> {
  assertRole(ctx, 'admin');
  await db.$transaction(async (tx) => {
    const channel = await tx.notificationChannel.findFirst({
      where: { id: channelId, organizationId: ctx.organizationId },
      select: { name: true },
    });
    if (!channel) throw new NotFoundError('Notification channel not found');
    await tx.notificationChannel.delete({ where: { id: channelId } });
    await recordAdminEvent(
      tx,
      ctx,
      'notification_channel.delete',
      { type: 'notification_channel', id: channelId },
      { name: channel.name },
    );
  });
}

/** The delivery log: newest first, with each attempt. */
export async function listDeliveries(db: Db, ctx: OrgContext, take = 50) {
  return db.notificationDelivery.findMany({
    where: { organizationId: ctx.organizationId },
    select: {
      id: true,
      event: true,
      approvalId: true,
      status: true,
      attempts: true,
      nextAttemptAt: true,
      lastError: true,
      lastStatusCode: true,
      deliveredAt: true,
      createdAt: true,
      channel: { select: { name: true, kind: true } },
      attemptLog: {
        select: { at: true, ok: true, statusCode: true, error: true, durationMs: true },
        orderBy: { at: 'asc' },
      },
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(take, 200),
  });
}
