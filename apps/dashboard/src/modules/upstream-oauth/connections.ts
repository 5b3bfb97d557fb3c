// Connecting upstream accounts (docs/upstream-oauth.md): the connect flow (authorization code +
// PKCE S256 + RFC 8707 resource + a state bound to the signed-in user), the callback that stores the
// sealed tokens, disconnecting (revoked at the upstream where it offers RFC 7009), and what each
// member sees on the Connections page. Tokens never leave the server: no function here returns one.
import type { Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import {
  connectionSubject,
  SHARED_SUBJECT,
  UpstreamTokens,
  type ConnectionMode,
  type ConnectionRow,
} from '@portcullis/catalog/upstream-tokens';
import {
  decryptSecret,
  encryptSecret,
  parseEncryptionKey,
  upstreamTokenContext,
} from '@portcullis/crypto/secret-box';
import { hashToken, issueToken } from '@portcullis/crypto/tokens';
import { OAuthFetchError } from '@portcullis/upstream/oauth-fetch';
import {
  authorizationRequest,
  exchangeCode,
  revokeToken,
  UpstreamGrantRejectedError,
} from '@portcullis/upstream/oauth-tokens';
import { env } from '../../env';
import { actorUserId, assertRole, type OrgContext } from '../../server/context';
import { NotFoundError, ValidationError } from '../../server/errors';
import { roleAtLeast } from '../../server/roles';
import { recordAdminEvent } from '../trail/record';
import { upstreamCallbackUrl } from './client-document';
import { oauthFetchOptions } from './discovery';

/** A connect flow must come back within this (the user signs in at the upstream meanwhile). */
const STATE_TTL_MS = 10 * 60_000;

export function upstreamTokens(db: Db): UpstreamTokens {
  return new UpstreamTokens(db, {
    encryptionKey: parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY),
    fetch: oauthFetchOptions(),
    actorLabel: 'dashboard',
  });
}

/** The dashboard page that connects this server for the signed-in member (what agents are pointed at). */
export function connectPagePath(orgSlug: string, serverId: string): string {
  return `/o/${orgSlug}/connections?server=${encodeURIComponent(serverId)}`;
}

/** Whose connection the signed-in member would make: the shared one needs an admin. */
function subjectFor(ctx: OrgContext, mode: ConnectionMode): string {
  const userId = actorUserId(ctx);
  if (!userId) throw new ValidationError('Connecting an account needs a signed-in person, not an API key');
  if (mode === 'shared') {
    assertRole(ctx, 'admin');
    return SHARED_SUBJECT;
  }
  return connectionSubject(mode, userId)!;
}

async function signInConfig(db: Db, ctx: OrgContext, serverId: string) {
  const server = await db.mcpServer.findFirst({
    where: { id: serverId, organizationId: ctx.organizationId, deletedAt: null },
    select: { id: true, name: true, oauth: { select: { connectionMode: true } } },
  });
  if (!server) throw new NotFoundError('Server not found');
  if (!server.oauth) throw new ValidationError('This server does not use sign-in; it needs no connection');
  return { server, mode: server.oauth.connectionMode };
}

/** Starts a connect flow: the URL of the upstream's sign-in page to send the browser to. */
export async function startConnect(db: Db, ctx: OrgContext, serverId: string): Promise<string> {
  const { mode } = await signInConfig(db, ctx, serverId);
  const subject = subjectFor(ctx, mode);
  const tokens = upstreamTokens(db);
  const client = await tokens.client(ctx.organizationId, serverId);
  if (!client) throw new NotFoundError('Server not found');
  const state = issueToken('upstreamState').token;
  const redirectUri = upstreamCallbackUrl();
  let request;
  try {
    request = await authorizationRequest(client, { redirectUri, state }, oauthFetchOptions());
  } catch (error) {
    if (error instanceof OAuthFetchError) throw new ValidationError(error.message);
    throw error;
  }
  const key = parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
  await db.upstreamAuthorizationState.create({
    data: {
      stateHash: hashToken(state),
      organizationId: ctx.organizationId,
      serverId,
      userId: actorUserId(ctx)!,
      subject,
      codeVerifierEnc: encryptSecret(
        key,
        request.codeVerifier,
        upstreamTokenContext(ctx.organizationId, serverId, subject, 'verifier'),
      ),
      redirectUri,
      expiresAt: new Date(Date.now() + STATE_TTL_MS),
    },
  });
  return request.url.toString();
}

export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectError';
  }
}

/**
 * The callback: the state must be one this user started, unused and unexpired; the user must still
 * be a member allowed to make this connection. Returns where to send the browser.
 */
export async function finishConnect(
  db: Db,
  userId: string,
  query: { code: string | null; state: string | null; error: string | null },
): Promise<{ orgSlug: string; serverId: string }> {
  if (!query.state)
    throw new ConnectError('The sign-in answer carried no state; start again from Connections');
  const stored = await db.upstreamAuthorizationState.findUnique({
    where: { stateHash: hashToken(query.state) },
  });
  // Someone else's state is reported like an unknown one: nothing about the other flow is revealed.
  if (!stored || stored.userId !== userId)
    throw new ConnectError('This sign-in answer does not belong to a connect flow you started; start again');
  const used = await db.upstreamAuthorizationState.updateMany({
    where: { id: stored.id, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  if (used.count !== 1) throw new ConnectError('This connect flow expired or was already used; start again');
  const membership = await db.membership.findFirst({
    where: { userId, organizationId: stored.organizationId },
    include: { organization: { select: { slug: true, name: true } }, user: { select: { email: true } } },
  });
  if (!membership) throw new ConnectError('You are no longer a member of this organization');
  const ctx: OrgContext = {
    organizationId: stored.organizationId,
    orgSlug: membership.organization.slug,
    orgName: membership.organization.name,
    role: membership.role,
    actor: { kind: 'user', id: userId, label: membership.user.email },
  };
  if (query.error)
    throw new ConnectError(`The server's sign-in did not complete (${query.error.slice(0, 64)})`);
  if (!query.code) throw new ConnectError('The sign-in answer carried no code; start again');
  const { mode } = await signInConfig(db, ctx, stored.serverId);
  // The subject is decided again as things are now (a demoted admin cannot finish a shared connect).
  if (subjectFor(ctx, mode) !== stored.subject)
    throw new ConnectError("The server's connection mode changed during sign-in; start again");
  const tokens = upstreamTokens(db);
  const client = await tokens.client(stored.organizationId, stored.serverId);
  if (!client) throw new ConnectError('This server no longer uses sign-in');
  const key = parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
  const codeVerifier = decryptSecret(
    key,
    stored.codeVerifierEnc,
    upstreamTokenContext(stored.organizationId, stored.serverId, stored.subject, 'verifier'),
  );
  let issued;
  try {
    issued = await exchangeCode(
      client,
      { code: query.code.slice(0, 4_096), codeVerifier, redirectUri: stored.redirectUri },
      oauthFetchOptions(),
    );
  } catch (error) {
    if (error instanceof UpstreamGrantRejectedError || error instanceof OAuthFetchError)
      throw new ConnectError(`The server did not issue a token: ${error.message}`);
    throw error;
  }
  await tokens.save(
    {
      organizationId: stored.organizationId,
      serverId: stored.serverId,
      subject: stored.subject,
      connectedById: userId,
    },
    issued,
  );
  await recordAdminEvent(
    db,
    ctx,
    'connection.connect',
    { type: 'server', id: stored.serverId },
    { subject: stored.subject === SHARED_SUBJECT ? 'shared' : 'user', scopes: issued.scopes },
  );
  return { orgSlug: ctx.orgSlug, serverId: stored.serverId };
}

/**
 * Disconnects: the tokens are revoked at the upstream where it offers RFC 7009 (best effort), the
 * row is deleted and every gateway replica drops the token at once (change event). A member
 * disconnects their own account; an admin also the shared one and any member's.
 */
export async function disconnect(
  db: Db,
  ctx: OrgContext,
  connectionId: string,
): Promise<{ revokedAtUpstream: boolean }> {
  const row = await db.upstreamConnection.findFirst({
    where: { id: connectionId, organizationId: ctx.organizationId },
  });
  if (!row) throw new NotFoundError('Connection not found');
  const own = row.subject === actorUserId(ctx);
  if (!own) assertRole(ctx, 'admin');
  const revokedAtUpstream = await revokeAtUpstream(db, row);
  await db.upstreamConnection.deleteMany({ where: { id: row.id } });
  await recordAdminEvent(
    db,
    ctx,
    'connection.disconnect',
    { type: 'server', id: row.serverId },
    { subject: row.subject === SHARED_SUBJECT ? 'shared' : 'user', userId: row.userId, revokedAtUpstream },
  );
  await notifyChange(db, {
    type: 'connection',
    organizationId: row.organizationId,
    serverId: row.serverId,
    subject: row.subject,
  });
  return { revokedAtUpstream };
}

/**
 * A member left or was removed: their connections in this organization are revoked and deleted,
 * so none of their grants reaches an upstream as them again.
 */
export async function dropMemberConnections(db: Db, organizationId: string, userId: string): Promise<number> {
  const rows = await db.upstreamConnection.findMany({ where: { organizationId, userId } });
  for (const row of rows) {
    await revokeAtUpstream(db, row).catch(() => false);
    await db.upstreamConnection.deleteMany({ where: { id: row.id } });
    await notifyChange(db, {
      type: 'connection',
      organizationId,
      serverId: row.serverId,
      subject: row.subject,
    });
  }
  return rows.length;
}

async function revokeAtUpstream(db: Db, row: ConnectionRow): Promise<boolean> {
  const tokens = upstreamTokens(db);
  const client = await tokens.client(row.organizationId, row.serverId);
  if (!client?.revocationEndpoint) return false;
  let opened;
  try {
    opened = tokens.tokensOf(row);
  } catch {
    return false;
  }
  // The refresh token first: revoking it ends the grant (RFC 7009 §2.1), access tokens with it.
  const refresh = opened.refreshToken
    ? await revokeToken(client, opened.refreshToken, 'refresh_token', oauthFetchOptions())
    : true;
  const access = await revokeToken(client, opened.accessToken, 'access_token', oauthFetchOptions());
  return refresh && access;
}

export interface ConnectionView {
  serverId: string;
  serverName: string;
  mode: ConnectionMode;
  issuer: string;
  /** The connection this member's calls use on this server (shared, or their own); null: none yet. */
  connection: {
    id: string;
    status: 'active' | 'needs_reconnect';
    scopes: string[];
    accessExpiresAt: Date | null;
    connectedAt: Date;
    lastError: string | null;
  } | null;
  /** Whether the signed-in member may connect (or reconnect) it. */
  canConnect: boolean;
  canDisconnect: boolean;
}

/** Every sign-in server of the organization, with the connection the signed-in member's calls would use. */
export async function listConnections(db: Db, ctx: OrgContext): Promise<ConnectionView[]> {
  const userId = actorUserId(ctx);
  const servers = await db.mcpServer.findMany({
    where: { organizationId: ctx.organizationId, deletedAt: null, oauth: { isNot: null } },
    select: {
      id: true,
      name: true,
      oauth: { select: { connectionMode: true, issuer: true } },
      upstreamConnections: {
        where: { subject: { in: [SHARED_SUBJECT, ...(userId ? [userId] : [])] } },
        select: {
          id: true,
          subject: true,
          status: true,
          scopes: true,
          accessExpiresAt: true,
          createdAt: true,
          updatedAt: true,
          lastError: true,
        },
      },
    },
    orderBy: { name: 'asc' },
  });
  const admin = roleAtLeast(ctx.role, 'admin');
  return servers.map((server) => {
    const mode = server.oauth!.connectionMode;
    const subject = mode === 'shared' ? SHARED_SUBJECT : userId;
    const row = server.upstreamConnections.find((c) => c.subject === subject);
    return {
      serverId: server.id,
      serverName: server.name,
      mode,
      issuer: server.oauth!.issuer,
      connection: row
        ? {
            id: row.id,
            status: row.status,
            scopes: row.scopes,
            accessExpiresAt: row.accessExpiresAt,
            connectedAt: row.updatedAt,
            lastError: row.lastError,
          }
        : null,
      canConnect: Boolean(userId) && (mode === 'per_user' || admin),
      canDisconnect: Boolean(row) && (mode === 'per_user' || admin),
    };
  });
}

/** The connection state of one server as its pages show it (never a token). */
export async function serverConnectionState(db: Db, ctx: OrgContext, serverId: string) {
  const views = await listConnections(db, ctx);
  const view = views.find((v) => v.serverId === serverId);
  if (!view) return null;
  const connected = await db.upstreamConnection.count({
    where: { serverId, organizationId: ctx.organizationId, status: 'active' },
  });
  return { ...view, activeConnections: connected };
}

export type GrantAccountState = 'connected' | 'not connected' | 'needs reconnect' | 'no person';

/** Worst first: a toolset grant shows the state of its member server that needs the most. */
const ACCOUNT_STATE_ORDER: readonly GrantAccountState[] = [
  'no person',
  'not connected',
  'needs reconnect',
  'connected',
];

/**
 * For each grant of a server behind sign-in, whether the account it acts with (shared, or its
 * creator's) is connected; for a toolset grant, the worst of its member servers behind sign-in.
 * Grants reaching no server behind sign-in are absent. (A grant used through OAuth acts as the
 * consenting person instead: that is shown on the Connections page of each.)
 */
export async function grantAccountStates(
  db: Db,
  ctx: OrgContext,
  grantIds: string[],
): Promise<Map<string, GrantAccountState>> {
  const signIn = { deletedAt: null, oauth: { isNot: null } };
  const serverSelect = { id: true, oauth: { select: { connectionMode: true } } } as const;
  const grants = await db.grant.findMany({
    where: {
      id: { in: grantIds },
      organizationId: ctx.organizationId,
      OR: [{ server: signIn }, { toolset: { members: { some: { server: signIn } } } }],
    },
    select: {
      id: true,
      createdById: true,
      server: { select: serverSelect },
      toolset: {
        select: { members: { where: { server: signIn }, select: { server: { select: serverSelect } } } },
      },
    },
  });
  const serversOf = (grant: (typeof grants)[number]) =>
    grant.server ? [grant.server] : (grant.toolset?.members.map((m) => m.server) ?? []);
  const rows = await db.upstreamConnection.findMany({
    where: {
      organizationId: ctx.organizationId,
      serverId: { in: [...new Set(grants.flatMap((g) => serversOf(g).map((s) => s.id)))] },
    },
    select: { serverId: true, subject: true, status: true },
  });
  const stateOf = (
    server: { id: string; oauth: { connectionMode: ConnectionMode } | null },
    createdById: string | null,
  ): GrantAccountState => {
    const subject = connectionSubject(server.oauth!.connectionMode, createdById);
    if (subject === null) return 'no person';
    const row = rows.find((r) => r.serverId === server.id && r.subject === subject);
    return !row ? 'not connected' : row.status === 'active' ? 'connected' : 'needs reconnect';
  };
  const states = new Map<string, GrantAccountState>();
  for (const grant of grants) {
    const each = serversOf(grant).map((server) => stateOf(server, grant.createdById));
    const worst = ACCOUNT_STATE_ORDER.find((state) => each.includes(state));
    if (worst) states.set(grant.id, worst);
  }
  return states;
}
