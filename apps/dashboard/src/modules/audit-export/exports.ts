// Per-organization continuous audit export, managed by admins: JSON lines to an HTTPS endpoint (signed
// like the notification webhooks) or OTLP/HTTP logs to a collector. The worker (export-worker.ts)
// moves each export's cursor only after the receiver accepted a batch.
import type { Db } from '@portcullis/db/client';
import type { AuditExportKind } from '@portcullis/db/types';
import { decryptSecret, encryptSecret, parseEncryptionKey } from '@portcullis/crypto/secret-box';
import { z } from 'zod';
import { env } from '../../env';
import { recordAdminEvent } from '../trail/record';
import { assertRole, type OrgContext } from '../../server/context';
import { NotFoundError, ValidationError, parseInput } from '../../server/errors';
import { newWebhookSecret } from '../notifications/webhook-signature';

/** Exports per organization: each is a worker's loop and a receiver's load. */
export const MAX_EXPORTS_PER_ORGANIZATION = 5;

const exportInput = z.object({
  name: z.string().trim().min(1, 'Enter a name for the export.').max(100),
  kind: z.enum(['https', 'otlp_logs'], 'Choose JSON lines over HTTPS or OTLP logs.'),
  url: z.string().trim().min(1, 'Enter where to send.').max(2000),
});
export type ExportInput = z.input<typeof exportInput>;

/**
 * https only (events leave the deployment): plain http is accepted for an origin the operator listed
 * in WEBHOOK_PRIVATE_ORIGINS (a collector beside the dashboard, tests).
 */
export function checkExportUrl(raw: string, privateOrigins: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError('Enter a full URL, e.g. https://siem.example.com/ingest.', '/url');
  }
  if (url.username || url.password)
    throw new ValidationError('Put no user name or password in the URL.', '/url');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && privateOrigins.includes(url.origin)))
    throw new ValidationError(
      'Audit events leave over https only: enter an https:// URL (the operator can allow an exact http origin with WEBHOOK_PRIVATE_ORIGINS).',
      '/url',
    );
  return url;
}

function encryptionKey(): Buffer {
  return parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
}

function secretContext(organizationId: string, exportId: string): string {
  return `audit-export:${organizationId}:${exportId}`;
}

/** The export's HMAC key (https exports only). */
export function exportSecret(
  row: { id: string; organizationId: string; secretEnc: string | null },
  key = encryptionKey(),
): string | null {
  return row.secretEnc ? decryptSecret(key, row.secretEnc, secretContext(row.organizationId, row.id)) : null;
}

export async function listExports(db: Db, ctx: OrgContext) {
  return db.auditExport.findMany({
    where: { organizationId: ctx.organizationId },
    select: {
      id: true,
      name: true,
      kind: true,
      url: true,
      enabled: true,
      cursorAt: true,
      exportedCount: true,
      attempts: true,
      nextAttemptAt: true,
      lastError: true,
      lastDeliveredAt: true,
      createdAt: true,
    },
    orderBy: { name: 'asc' },
  });
}

/**
 * Creates an export that starts with the events recorded from now on (earlier ones: the download);
 * an https export's signing secret is returned once and stored encrypted.
 */
export async function createExport(
  db: Db,
  ctx: OrgContext,
  raw: ExportInput,
): Promise<{ id: string; name: string; secret: string | null }> {
  assertRole(ctx, 'admin');
  const input = parseInput(exportInput, raw);
  checkExportUrl(input.url, env().webhookPrivateOrigins);
  const kind: AuditExportKind = input.kind;
  const secret = kind === 'https' ? newWebhookSecret() : null;
  const created = await db.$transaction(async (tx) => {
    // Serialises creations in one organization, so the count and the name check hold.
    await tx.$executeRaw`SELECT 1 FROM organizations WHERE id = ${ctx.organizationId} FOR UPDATE`;
    const existing = await tx.auditExport.findMany({
      where: { organizationId: ctx.organizationId },
      select: { name: true },
    });
    if (existing.some((e) => e.name === input.name))
      throw new ValidationError(
        `An export named ${input.name} already exists; choose another name.`,
        '/name',
      );
    if (existing.length >= MAX_EXPORTS_PER_ORGANIZATION)
      throw new ValidationError(
        `An organization has at most ${MAX_EXPORTS_PER_ORGANIZATION} audit exports; delete one first.`,
        '/name',
      );
    const row = await tx.auditExport.create({
      data: {
        organizationId: ctx.organizationId,
        name: input.name,
        kind,
        url: input.url,
        cursorAt: new Date(),
      },
      select: { id: true, name: true },
    });
    if (secret)
      await tx.auditExport.update({
        where: { id: row.id },
        data: {
          secretEnc: encryptSecret(encryptionKey(), secret, secretContext(ctx.organizationId, row.id)),
        },
      });
    await recordAdminEvent(
      tx,
      ctx,
      'audit_export.create',
      { type: 'audit_export', id: row.id },
      { name: input.name, kind, url: input.url },
    );
    return row;
  });
  return { ...created, secret };
}

/** Pauses or resumes an export; resuming retries at once and goes on from where it stopped. */
export async function setExportEnabled(
  db: Db,
  ctx: OrgContext,
  exportId: string,
  enabled: boolean,
): Promise<void> {
  assertRole(ctx, 'admin');
  await db.$transaction(async (tx) => {
    const { count } = await tx.auditExport.updateMany({
      where: { id: exportId, organizationId: ctx.organizationId },
      data: { enabled, ...(enabled ? { nextAttemptAt: new Date(), attempts: 0 } : {}) },
    });
    if (!count) throw new NotFoundError('Audit export not found');
    await recordAdminEvent(
      tx,
      ctx,
      'audit_export.update',
      { type: 'audit_export', id: exportId },
      { enabled },
    );
  });
}

export async function deleteExport(db: Db, ctx: OrgContext, exportId: string): Promise<void> {
  assertRole(ctx, 'admin');
  await db.$transaction(async (tx) => {
    const row = await tx.auditExport.findFirst({
      where: { id: exportId, organizationId: ctx.organizationId },
      select: { name: true },
    });
    if (!row) throw new NotFoundError('Audit export not found');
    await tx.auditExport.delete({ where: { id: exportId } });
    await recordAdminEvent(
      tx,
      ctx,
      'audit_export.delete',
      { type: 'audit_export', id: exportId },
      { name: row.name },
    );
  });
}
