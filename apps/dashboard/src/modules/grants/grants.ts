// Grants: an agent's credential for one server or one toolset (docs/toolsets.md). The token is
// returned once and stored as a hash.
import type { Db } from '@portcullis/db/client';
import type { Prisma } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import { issueToken } from '@portcullis/crypto/tokens';
import { z } from 'zod';
import { env } from '../../env';
import { getServer } from '../servers/servers';
import { recordAdminEvent } from '../trail/record';
import { actorUserId, assertRole, type OrgContext } from '../../server/context';
import { NotFoundError, parseInput, ValidationError } from '../../server/errors';

export const grantInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Enter a grant name.')
      .max(100, 'Grant name must be at most 100 characters.'),
    serverId: z.string().min(1, 'Choose a server.').optional(),
    toolsetId: z.string().min(1, 'Choose a toolset.').optional(),
    expiresAt: z.coerce.date().optional().nullable(),
  })
  .strict()
  .superRefine((input, issues) => {
    if (input.serverId === undefined && input.toolsetId === undefined)
      issues.addIssue({
        code: 'custom',
        path: ['serverId'],
        message: 'Choose what the grant reaches: a serverId or a toolsetId.',
      });
    else if (input.serverId !== undefined && input.toolsetId !== undefined)
      issues.addIssue({
        code: 'custom',
        path: ['toolsetId'],
        message: 'A grant reaches one server or one toolset: send serverId or toolsetId, not both.',
      });
  })
  // The refinement above in the OpenAPI document (JSON Schema has no refinements; zod copies meta in).
  .meta({ oneOf: [{ required: ['serverId'] }, { required: ['toolsetId'] }] });
export type GrantInput = z.input<typeof grantInput>;

export const grantSelect = {
  id: true,
  name: true,
  serverId: true,
  toolsetId: true,
  tokenPrefix: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  createdAt: true,
  server: { select: { name: true } },
  toolset: { select: { name: true } },
} satisfies Prisma.GrantSelect;
export type GrantView = Prisma.GrantGetPayload<{ select: typeof grantSelect }>;

/** What a grant reaches: its server or its toolset (exactly one is set, CHECK grants_one_target). */
export function grantTarget(grant: Pick<GrantView, 'serverId' | 'toolsetId' | 'server' | 'toolset'>): {
  kind: 'server' | 'toolset';
  id: string;
  name: string;
} {
  if (grant.toolsetId !== null)
    return { kind: 'toolset', id: grant.toolsetId, name: grant.toolset?.name ?? 'deleted toolset' };
  return { kind: 'server', id: grant.serverId ?? '', name: grant.server?.name ?? 'deleted server' };
}

/** The agent's URL: `/mcp/<serverId>` or `/mcp/<toolsetId>` (ids are unique across both tables). */
export function proxyUrlFor(targetId: string): string {
  return `${env().GATEWAY_PUBLIC_URL}/mcp/${targetId}`;
}

export function embeddedUrlFor(token: string): string {
  return `${env().GATEWAY_PUBLIC_URL}/g/${token}/mcp`;
}

export interface CreatedGrant {
  grant: GrantView;
  /** Shown once; never stored. */
  token: string;
  proxyUrl: string;
  embeddedUrl: string;
}

export async function createGrant(db: Db, ctx: OrgContext, raw: GrantInput): Promise<CreatedGrant> {
  assertRole(ctx, 'editor');
  const input = parseInput(grantInput, raw);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now())
    throw new ValidationError('Expiry must be in the future.', '/expiresAt');
  const target =
    input.toolsetId !== undefined
      ? { serverId: null, toolsetId: (await getGrantableToolset(db, ctx, input.toolsetId)).id }
      : { serverId: (await getServer(db, ctx, input.serverId!)).id, toolsetId: null };
  const targetId = (target.toolsetId ?? target.serverId)!;
  const issued = issueToken('grant');
  const grant = await db.$transaction(async (tx) => {
    const created = await tx.grant.create({
      data: {
        organizationId: ctx.organizationId,
        ...target,
        name: input.name,
        tokenHash: issued.hash,
        tokenPrefix: issued.prefix,
        createdById: actorUserId(ctx),
        expiresAt: input.expiresAt ?? null,
      },
      select: grantSelect,
    });
    await recordAdminEvent(
      tx,
      ctx,
      'grant.create',
      { type: 'grant', id: created.id },
      {
        name: created.name,
        ...(target.toolsetId ? { toolsetId: target.toolsetId } : { serverId: target.serverId }),
        tokenPrefix: created.tokenPrefix,
        expiresAt: created.expiresAt?.toISOString() ?? null,
      },
    );
    return created;
  });
  return {
    grant,
    token: issued.token,
    proxyUrl: proxyUrlFor(targetId),
    embeddedUrl: embeddedUrlFor(issued.token),
  };
}

/** A toolset of this organization a grant may target; another organization's or a deleted one is "not found". */
async function getGrantableToolset(db: Db, ctx: OrgContext, toolsetId: string) {
  const toolset = await db.toolset.findFirst({
    where: { id: toolsetId, organizationId: ctx.organizationId, deletedAt: null },
    select: { id: true, name: true },
  });
  if (!toolset) throw new NotFoundError('Toolset not found');
  return toolset;
}

/** The organization's toolsets a new grant can target, for the create form. */
export async function listGrantableToolsets(
  db: Db,
  ctx: OrgContext,
): Promise<Array<{ id: string; name: string }>> {
  return db.toolset.findMany({
    where: { organizationId: ctx.organizationId, deletedAt: null },
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
}

export async function listGrants(
  db: Db,
  ctx: OrgContext,
  filter: { serverId?: string; toolsetId?: string } = {},
): Promise<GrantView[]> {
  return db.grant.findMany({
    where: {
      organizationId: ctx.organizationId,
      serverId: filter.serverId,
      toolsetId: filter.toolsetId,
      // A deleted server's or toolset's grants leave the list with it.
      OR: [{ server: { deletedAt: null } }, { toolset: { deletedAt: null } }],
    },
    select: grantSelect,
    orderBy: [{ revokedAt: { sort: 'desc', nulls: 'first' } }, { createdAt: 'desc' }],
  });
}

export async function revokeGrant(db: Db, ctx: OrgContext, grantId: string): Promise<GrantView> {
  assertRole(ctx, 'editor');
  const grant = await db.grant.findFirst({
    where: { id: grantId, organizationId: ctx.organizationId },
    select: grantSelect,
  });
  if (!grant) throw new NotFoundError('Grant not found');
  if (grant.revokedAt) return grant;
  const revoked = await db.$transaction(async (tx) => {
    const updated = await tx.grant.update({
      where: { id: grant.id },
      data: { revokedAt: new Date() },
      select: grantSelect,
    });
    // Pending approvals of a revoked grant can never be used.
    await tx.approval.updateMany({
      where: { grantId: grant.id, status: 'pending' },
      data: { status: 'expired' },
    });
    // OAuth access and refresh tokens bound to the grant go with it.
    await tx.oAuthToken.updateMany({
      where: { grantId: grant.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await recordAdminEvent(
      tx,
      ctx,
      'grant.revoke',
      { type: 'grant', id: grant.id },
      { name: grant.name, tokenPrefix: grant.tokenPrefix },
    );
    return updated;
  });
  await notifyChange(db, { type: 'grant', organizationId: ctx.organizationId, grantId: grant.id });
  return revoked;
}

export function grantStatus(
  grant: Pick<GrantView, 'revokedAt' | 'expiresAt'>,
  now = new Date(),
): 'active' | 'revoked' | 'expired' {
  if (grant.revokedAt) return 'revoked';
  if (grant.expiresAt && grant.expiresAt <= now) return 'expired';
  return 'active';
}

/** How far back the grants page looks for the protocol versions a grant's clients spoke. */
export const PROTOCOL_ERA_WINDOW_DAYS = 30;

export interface ProtocolEraUse {
  version: string;
  /** 2026-07-28 and later: stateless requests; before: initialize and a session. */
  era: 'modern' | 'legacy';
}

/**
 * The MCP protocol versions each grant's clients spoke in the last PROTOCOL_ERA_WINDOW_DAYS days
 * (from the audit log; oldest revision first), for this organization's grants only.
 */
export async function protocolErasByGrant(
  db: Db,
  ctx: OrgContext,
  grantIds: string[],
  now = new Date(),
): Promise<Map<string, ProtocolEraUse[]>> {
  const out = new Map<string, ProtocolEraUse[]>();
  if (grantIds.length === 0) return out;
  const since = new Date(now.getTime() - PROTOCOL_ERA_WINDOW_DAYS * 24 * 60 * 60_000);
  const rows = await db.auditEvent.groupBy({
    by: ['grantId', 'protocolVersion'],
    where: {
      organizationId: ctx.organizationId,
      grantId: { in: grantIds },
      protocolVersion: { not: null },
      createdAt: { gte: since },
    },
    orderBy: [{ grantId: 'asc' }, { protocolVersion: 'asc' }],
  });
  for (const row of rows) {
    if (!row.grantId || !row.protocolVersion) continue;
    const list = out.get(row.grantId) ?? [];
    list.push({
      version: row.protocolVersion,
      era: row.protocolVersion >= '2026-07-28' ? 'modern' : 'legacy',
    });
    out.set(row.grantId, list);
  }
  return out;
}

/** "MCP 2025-11-25 (legacy session), 2026-07-28 (modern)", or null when no client was seen. */
export function describeProtocolEras(uses: ProtocolEraUse[] | undefined): string | null {
  if (!uses || uses.length === 0) return null;
  return `MCP ${uses.map((u) => `${u.version} (${u.era === 'modern' ? 'modern, stateless' : 'legacy session'})`).join(', ')}`;
}
