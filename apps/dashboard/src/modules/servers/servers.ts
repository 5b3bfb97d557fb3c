// Registered upstream servers. Secrets are write-only: encrypted here, never selected for the browser.
import type { Db } from '@portcullis/db/client';
import type { Prisma } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import { encryptSecretMap, parseEncryptionKey, serverSecretContext } from '@portcullis/crypto/secret-box';
import { loadUpstreamSpec } from '@portcullis/catalog/upstream-spec';
import { markSyncFailed, syncServerTools } from '@portcullis/catalog/sync-server-tools';
import { z } from 'zod';
import { env } from '../../env';
import { recordAdminEvent } from '../trail/record';
import { connectionSubject } from '@portcullis/catalog/upstream-tokens';
import { actorUserId, assertRole, type OrgContext } from '../../server/context';
import { upstreamTokens } from '../upstream-oauth/connections';
import { ConflictError, NotFoundError, parseInput, ValidationError } from '../../server/errors';
import {
  checkUpstreamAllowed,
  describeConnectionError,
  fetchUpstreamSnapshot,
  type UpstreamSpec,
} from './upstream';

/** The columns that may leave the server: no ciphertexts. */
export const publicServerSelect = {
  id: true,
  name: true,
  transport: true,
  url: true,
  stdioTemplate: true,
  command: true,
  args: true,
  secretHeaderNames: true,
  secretEnvNames: true,
  status: true,
  statusMessage: true,
  lastSyncAt: true,
  serverInfo: true,
  upstreamEra: true,
  upstreamVersions: true,
  auditArguments: true,
  createdAt: true,
} satisfies Prisma.McpServerSelect;
export type PublicServer = Prisma.McpServerGetPayload<{ select: typeof publicServerSelect }>;

const secretName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'Secret names may use letters, digits, _ and -.');
const secretRows = z.array(z.object({ name: secretName, value: z.string().max(8_192) })).max(50);

export const serverInput = z
  .object({
    name: z.string().trim().min(1, 'Enter a name.').max(100, 'Name must be at most 100 characters.'),
    transport: z.enum(['streamable_http', 'sse', 'stdio']),
    url: z.string().trim().max(2_000).optional().nullable(),
    /** stdio: one of the operator's templates (see GET /api/v1/stdio-templates); args are then its extra arguments. */
    stdioTemplate: z.string().trim().max(63).optional().nullable(),
    command: z.string().trim().max(500).optional().nullable(),
    args: z.array(z.string().max(2_000)).max(100).default([]),
    headers: secretRows.default([]),
    env: secretRows.default([]),
  })
  .strict();
export type ServerInput = z.input<typeof serverInput>;

function parse(raw: unknown) {
  return parseInput(serverInput, raw);
}

function key(): Buffer {
  return parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
}

function toMap(rows: Array<{ name: string; value: string }>): Record<string, string> {
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

export async function listServers(
  db: Db,
  ctx: OrgContext,
): Promise<Array<PublicServer & { toolCount: number }>> {
  const servers = await db.mcpServer.findMany({
    where: { organizationId: ctx.organizationId, deletedAt: null },
    select: { ...publicServerSelect, _count: { select: { tools: { where: { present: true } } } } },
    orderBy: { createdAt: 'asc' },
  });
  return servers.map(({ _count, ...s }) => ({ ...s, toolCount: _count.tools }));
}

export async function getServer(db: Db, ctx: OrgContext, serverId: string): Promise<PublicServer> {
  const server = await db.mcpServer.findFirst({
    where: { id: serverId, organizationId: ctx.organizationId, deletedAt: null },
    select: publicServerSelect,
  });
  if (!server) throw new NotFoundError('Server not found');
  return server;
}

export async function createServer(db: Db, ctx: OrgContext, raw: ServerInput): Promise<PublicServer> {
  assertRole(ctx, 'editor');
  const input = parse(raw);
  const stdio = input.transport === 'stdio';
  const template = stdio && input.stdioTemplate ? input.stdioTemplate : null;
  const spec = {
    transport: input.transport,
    url: stdio ? null : (input.url ?? null),
    stdioTemplate: template,
    command: stdio && !template ? (input.command ?? null) : null,
    args: stdio ? input.args : [],
  };
  const headers = stdio ? [] : input.headers;
  const envRows = stdio ? input.env : [];
  checkUpstreamAllowed(ctx.organizationId, { ...spec, env: toMap(envRows) });
  try {
    const server = await db.$transaction(async (tx) => {
      const created = await tx.mcpServer.create({
        data: {
          organizationId: ctx.organizationId,
          name: input.name,
          ...spec,
          secretHeaderNames: headers.map((h) => h.name),
          secretEnvNames: envRows.map((h) => h.name),
        },
        select: { id: true },
      });
      // The ciphertext is bound to the row's id, so it can only be sealed once the id exists.
      const sealed = {
        secretHeadersEnc: headers.length
          ? encryptSecretMap(
              key(),
              toMap(headers),
              serverSecretContext(ctx.organizationId, created.id, 'headers'),
            )
          : null,
        secretEnvEnc: envRows.length
          ? encryptSecretMap(
              key(),
              toMap(envRows),
              serverSecretContext(ctx.organizationId, created.id, 'env'),
            )
          : null,
      };
      const server = await tx.mcpServer.update({
        where: { id: created.id },
        data: sealed,
        select: publicServerSelect,
      });
      await recordAdminEvent(
        tx,
        ctx,
        'server.create',
        { type: 'server', id: server.id },
        {
          name: server.name,
          transport: server.transport,
          stdioTemplate: server.stdioTemplate,
          secretHeaderNames: server.secretHeaderNames,
          secretEnvNames: server.secretEnvNames,
        },
      );
      return server;
    });
    await notifyChange(db, { type: 'server', organizationId: ctx.organizationId, serverId: server.id });
    return server;
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002')
      throw new ConflictError(`A server named "${input.name}" already exists.`, 'name');
    throw error;
  }
}

export async function deleteServer(db: Db, ctx: OrgContext, serverId: string): Promise<void> {
  assertRole(ctx, 'editor');
  const server = await getServer(db, ctx, serverId);
  await db.$transaction(async (tx) => {
    // Frees the name for a new registration; the row stays for the audit log's references.
    await tx.mcpServer.update({
      where: { id: server.id },
      data: { deletedAt: new Date(), name: `${server.name} (deleted ${server.id})` },
    });
    await tx.grant.updateMany({
      where: { serverId: server.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'server.delete',
      { type: 'server', id: server.id },
      { name: server.name },
    );
  });
  await notifyChange(db, { type: 'server', organizationId: ctx.organizationId, serverId: server.id });
}

/** Decrypts the server's secrets to build a connection spec; stays on the server side. */
async function loadSpec(db: Db, ctx: OrgContext, serverId: string): Promise<UpstreamSpec> {
  const row = await db.mcpServer.findFirst({
    where: { id: serverId, organizationId: ctx.organizationId, deletedAt: null },
  });
  if (!row) throw new NotFoundError('Server not found');
  const spec = loadUpstreamSpec(row, key());
  // A server behind sign-in is reached with the shared account or the acting admin's own.
  const signIn = await db.upstreamOAuthConfig.findUnique({
    where: { serverId },
    select: { connectionMode: true },
  });
  if (!signIn) return spec;
  const token = await upstreamTokens(db).token(
    ctx.organizationId,
    serverId,
    connectionSubject(signIn.connectionMode, actorUserId(ctx)),
  );
  if (!token.ok)
    throw new ValidationError(
      token.reason === 'needs_reconnect'
        ? 'The connected account needs reconnecting: reconnect it under Connections, then retry'
        : signIn.connectionMode === 'shared'
          ? 'This server needs sign-in: an admin connects its shared account under Connections first'
          : 'This server needs sign-in: connect your account under Connections first',
    );
  return { ...spec, headers: { ...spec.headers, authorization: `Bearer ${token.accessToken}` } };
}

export interface ConnectionResult {
  ok: boolean;
  message: string;
  toolCount?: number;
  serverInfo?: { name?: string; version?: string };
}

export async function testConnection(db: Db, ctx: OrgContext, serverId: string): Promise<ConnectionResult> {
  assertRole(ctx, 'editor');
  const spec = await loadSpec(db, ctx, serverId);
  try {
    const snapshot = await fetchUpstreamSnapshot(spec);
    const name = snapshot.serverInfo?.name
      ? `${snapshot.serverInfo.name} ${snapshot.serverInfo.version ?? ''}`.trim()
      : 'the server';
    await db.mcpServer.update({
      where: { id: serverId },
      data: {
        status: 'ok',
        statusMessage: null,
        serverInfo: (snapshot.serverInfo ?? undefined) as Prisma.InputJsonValue | undefined,
        upstreamEra: snapshot.era.era,
        upstreamVersions: snapshot.era.versions,
      },
    });
    return {
      ok: true,
      message: `Connected to ${name}: ${snapshot.tools.length} tools offered.`,
      toolCount: snapshot.tools.length,
      serverInfo: snapshot.serverInfo,
    };
  } catch (error) {
    const message = describeConnectionError(error);
    await db.mcpServer.update({ where: { id: serverId }, data: { status: 'error', statusMessage: message } });
    return { ok: false, message };
  }
}

export interface SyncSummary {
  total: number;
  added: number;
  changed: number;
  removed: number;
  message: string;
}

export async function syncServer(db: Db, ctx: OrgContext, serverId: string): Promise<SyncSummary> {
  assertRole(ctx, 'editor');
  const spec = await loadSpec(db, ctx, serverId);
  const target = { organizationId: ctx.organizationId, serverId };
  let snapshot;
  try {
    snapshot = await fetchUpstreamSnapshot(spec);
  } catch (error) {
    const message = describeConnectionError(error);
    await markSyncFailed(db, target, message);
    throw new ValidationError(message);
  }
  const result = await syncServerTools(
    db,
    target,
    snapshot.tools,
    snapshot.serverInfo,
    snapshot.resourceUris,
    snapshot.era,
  );
  const summary = {
    total: snapshot.tools.length,
    added: result.added.length,
    changed: result.changed.length,
    removed: result.removed.length,
  };
  await recordAdminEvent(
    db,
    ctx,
    'server.sync',
    { type: 'server', id: serverId },
    { ...summary, changedTools: result.changed.slice(0, 100) },
  );
  const parts = [`${summary.total} tools`];
  if (summary.added) parts.push(`${summary.added} new`);
  if (summary.changed) parts.push(`${summary.changed} changed (blocked until approved)`);
  if (summary.removed) parts.push(`${summary.removed} removed`);
  return { ...summary, message: `Synced: ${parts.join(', ')}.` };
}
