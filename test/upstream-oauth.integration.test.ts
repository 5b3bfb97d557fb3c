// Upstream OAuth end to end on real parts (issue #25): a real OAuth-protected MCP server whose
// authorization server takes only pre-registered clients (test/fixtures/preregistered-oauth-upstream.ts),
// registered and connected through the dashboard's own modules (discovery, PKCE connect flow,
// callback), called through real gateways. Covers: a grant acts as its creator's account; a member
// without an account is told where to connect (tool error, or URL elicitation -32042) and audited
// needs_connection; an expired token is refreshed once across two replicas under 8 concurrent
// calls; a revoked refresh token gives needs_connection (never a 500, never another user's token);
// disconnecting and removing a member stop upstream access at once; no token appears in any row.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, parseEncryptionKey, upstreamTokenContext } from '@portcullis/crypto/secret-box';
import { issueToken } from '@portcullis/crypto/tokens';
import { addMember, db, newOwner, resetDatabase } from '../apps/dashboard/test/helpers.ts';
import { env } from '../apps/dashboard/src/env.ts';
import { createServer, syncServer } from '../apps/dashboard/src/modules/servers/servers.ts';
import { discoverSignIn } from '../apps/dashboard/src/modules/upstream-oauth/discovery.ts';
import {
  configureServerSignIn,
  registerUpstreamClient,
} from '../apps/dashboard/src/modules/upstream-oauth/sign-in-config.ts';
import { upstreamCallbackUrl } from '../apps/dashboard/src/modules/upstream-oauth/client-document.ts';
import {
  disconnect,
  finishConnect,
  listConnections,
  startConnect,
} from '../apps/dashboard/src/modules/upstream-oauth/connections.ts';
import { removeMember } from '../apps/dashboard/src/modules/orgs/members.ts';
import { queueReconnectNotices } from '../apps/dashboard/src/modules/notifications/delivery-worker.ts';
import type { OrgContext } from '../apps/dashboard/src/server/context.ts';
import { connectAgent, gatewayConfig, setPolicy, textOf, waitFor } from '../apps/gateway/test/harness.ts';
import { createGateway, type Gateway } from '../apps/gateway/src/gateway.ts';
import { createLogger } from '../apps/gateway/src/log.ts';
import {
  startPreregisteredUpstream,
  type PreregisteredUpstream,
} from './fixtures/preregistered-oauth-upstream.ts';

const CLIENT = { clientId: 'portcullis', clientSecret: 'pre-registered-secret' };

let upstream: PreregisteredUpstream;
let gateways: Gateway[] = [];
let owner: Awaited<ReturnType<typeof newOwner>>;
let member: Awaited<ReturnType<typeof addMember>>;
let serverId: string;
let ownerGrant: string;
let memberGrant: string;
const clients: Client[] = [];
const logLines: string[] = [];

async function grantOf(ctx: OrgContext, userId: string | null, name: string): Promise<string> {
  const issued = issueToken('grant');
  await db.grant.create({
    data: {
      organizationId: ctx.organizationId,
      serverId,
      name,
      tokenHash: issued.hash,
      tokenPrefix: issued.prefix,
      createdById: userId,
    },
  });
  return issued.token;
}

/** The whole browser round trip without a browser: the fixture's sign-in approves `username` at once. */
async function connectAs(ctx: OrgContext, userId: string, username: string): Promise<void> {
  const authorize = new URL(await startConnect(db, ctx, serverId));
  // What Portcullis asked for: S256 PKCE, the RFC 8707 resource, a state, our callback.
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('resource')).toBe(upstream.url);
  expect(authorize.searchParams.get('redirect_uri')).toBe(upstreamCallbackUrl());
  authorize.searchParams.set('username', username);
  const answer = await fetch(authorize, { redirect: 'manual' });
  expect(answer.status).toBe(302);
  const back = new URL(answer.headers.get('location')!);
  await finishConnect(db, userId, {
    code: back.searchParams.get('code'),
    state: back.searchParams.get('state'),
    error: back.searchParams.get('error'),
  });
}

async function agent(gateway: Gateway, token: string, capabilities = {}): Promise<Client> {
  const client = await connectAgent(gateway, { serverId, token }, { capabilities });
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

beforeAll(async () => {
  await resetDatabase();
  upstream = await startPreregisteredUpstream({
    clients: [{ ...CLIENT, redirectUris: [upstreamCallbackUrl()] }],
  });
  owner = await newOwner('Signs in');
  member = await addMember(owner.ctx.organizationId, owner.orgSlug, 'editor');

  // Registration as the form does it: discovery, the pre-registered client, the server row.
  const discovery = await discoverSignIn(upstream.url);
  expect(discovery).toMatchObject({ issuer: upstream.issuer, resource: upstream.url });
  const client = await registerUpstreamClient(discovery!, { connectionMode: 'per_user', ...CLIENT });
  expect(client.registration).toBe('pre_registered');
  const server = await createServer(db, owner.ctx, {
    name: 'Notes',
    transport: 'streamable_http',
    url: upstream.url,
    headers: [],
    env: [],
  });
  serverId = server.id;
  await configureServerSignIn(db, owner.ctx, serverId, discovery!, client, 'per_user');

  // Without an account the catalog cannot be synced; after the owner connects, it is (as them).
  await expect(syncServer(db, owner.ctx, serverId)).rejects.toThrow(/connect your account/);
  await connectAs(owner.ctx, owner.userId, 'alice');
  const synced = await syncServer(db, owner.ctx, serverId);
  expect(synced.total).toBe(3);
  await setPolicy(owner.ctx.organizationId, serverId, {
    version: '1',
    default: 'deny',
    tools: { whoami: { action: 'allow' }, slow_whoami: { action: 'allow' }, add_note: { action: 'allow' } },
  });
  ownerGrant = await grantOf(owner.ctx, owner.userId, 'owner agent');
  memberGrant = await grantOf(owner.ctx, member.user.id, 'member agent');
  const key = parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
  // Two replicas logging everything (debug), so the isolation test can read every line they wrote.
  for (let i = 0; i < 2; i++) {
    const config = gatewayConfig({
      encryptionKey: key,
      oauthIssuer: 'http://localhost:3000',
      logLevel: 'debug',
    });
    const gateway = createGateway(config, {
      logger: createLogger('debug', { write: (line: string) => void logLines.push(line) }),
    });
    await gateway.listen();
    gateways.push(gateway);
  }
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(gateways.map((g) => g.close()));
  gateways = [];
  await upstream?.close();
});

describe('upstream OAuth connections', () => {
  it("a grant acts as its creator's own account; a member without one is told where to connect, then works as themselves", async () => {
    const ownerAgent = await agent(gateways[0]!, ownerGrant);
    expect(textOf(await call(ownerAgent, 'whoami'))).toBe('alice');

    // The member has no account yet: the catalog's tools are listed, a call says where to connect.
    const memberAgent = await agent(gateways[0]!, memberGrant);
    const listed = await memberAgent.listTools();
    expect(listed.tools.map((t) => t.name).sort()).toEqual(['add_note', 'slow_whoami', 'whoami']);
    const before = upstream.mcpCalls.length;
    const refused = await call(memberAgent, 'whoami');
    expect(refused.isError).toBe(true);
    const connectUrl = `http://localhost:3000/o/${owner.orgSlug}/connections?server=${serverId}`;
    expect(textOf(refused)).toContain(connectUrl);
    expect(upstream.mcpCalls.length).toBe(before);
    // (The outcome is written by the audit writer's batch, a few milliseconds later.)
    const row = await waitFor(
      async () =>
        (await db.auditEvent.findFirst({
          where: { serverId, toolName: 'whoami', upstreamOutcome: 'needs_connection' },
        })) ?? undefined,
    );
    expect(row.decision).toBe('allow');
    expect(row.upstreamError).toContain(connectUrl);

    // A client that declared URL-mode elicitation gets the URL elicitation required error.
    const elicits = await agent(gateways[1]!, memberGrant, { elicitation: { url: {} } });
    const error = await elicits.callTool({ name: 'whoami', arguments: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: -32042 });
    expect(
      (error as { data: { elicitations: Array<{ mode: string; url: string }> } }).data.elicitations[0],
    ).toMatchObject({
      mode: 'url',
      url: connectUrl,
    });

    // Once the member connects their own account, the same open session works, as them.
    await connectAs(member.ctx, member.user.id, 'bob');
    expect(textOf(await call(memberAgent, 'whoami'))).toBe('bob');
    expect(textOf(await call(ownerAgent, 'whoami'))).toBe('alice');
    const users = new Set(upstream.mcpCalls.map((c) => c.user));
    expect(users).toEqual(new Set(['alice', 'bob']));
  });

  it('a modern (2026-07-28) client gets the same: the connect URL when the account is missing, its own account once connected', async () => {
    const viewer = await addMember(owner.ctx.organizationId, owner.orgSlug, 'viewer');
    const token = await grantOf(owner.ctx, viewer.user.id, 'modern agent');
    const modern = new ModernClient(
      { name: 'modern-agent', version: '2.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(
      new ModernTransport(new URL(`${gateways[1]!.url}/mcp/${serverId}`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const before = upstream.mcpCalls.length;
      const refused = (await modern.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain(`/o/${owner.orgSlug}/connections?server=${serverId}`);
      expect(upstream.mcpCalls.length).toBe(before);
      // A viewer connects their own account on a per-user server.
      await connectAs(viewer.ctx, viewer.user.id, 'carol');
      expect(textOf((await modern.callTool({ name: 'whoami', arguments: {} })) as CallToolResult)).toBe(
        'carol',
      );
      const row = await waitFor(
        async () =>
          (await db.auditEvent.findFirst({
            where: { serverId, upstreamOutcome: 'needs_connection', protocolVersion: '2026-07-28' },
          })) ?? undefined,
      );
      expect(row.toolName).toBe('whoami');
    } finally {
      await modern.close();
    }
  });

  it('an access token that stops working mid-session is refreshed once under 8 concurrent calls across two replicas', async () => {
    const sessions = [
      await agent(gateways[0]!, ownerGrant),
      await agent(gateways[0]!, ownerGrant),
      await agent(gateways[1]!, ownerGrant),
      await agent(gateways[1]!, ownerGrant),
    ];
    for (const s of sessions) expect(textOf(await call(s, 'whoami'))).toBe('alice');
    const refreshesBefore = upstream.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
    upstream.expireAccessTokensOf('alice');
    const results = await Promise.all(
      sessions.flatMap((s) => [call(s, 'slow_whoami', { ms: 20 }), call(s, 'whoami')]),
    );
    expect(results.map((r) => textOf(r))).toEqual(Array(8).fill('alice'));
    const refreshes = upstream.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
    expect(refreshes - refreshesBefore).toBe(1);
  });

  it('a revoked refresh token gives needs_connection, not a 500 and never another user’s token', async () => {
    const ownerAgent = await agent(gateways[1]!, ownerGrant);
    expect(textOf(await call(ownerAgent, 'whoami'))).toBe('alice');
    upstream.revokeRefreshTokensOf('alice');
    upstream.expireAccessTokensOf('alice');
    const callsBefore = upstream.mcpCalls.length;
    const refused = await call(ownerAgent, 'whoami');
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/reconnected/);
    // Nothing ran upstream (the 401 and the refused refresh are all it saw), with no one's token.
    expect(upstream.mcpCalls.length).toBe(callsBefore);
    const connection = await db.upstreamConnection.findFirstOrThrow({
      where: { serverId, subject: owner.userId },
    });
    expect(connection.status).toBe('needs_reconnect');
    expect(
      await db.adminEvent.count({
        where: { organizationId: owner.ctx.organizationId, action: 'connection.needs_reconnect' },
      }),
    ).toBe(1);
    const views = await listConnections(db, owner.ctx);
    expect(views[0]!.connection?.status).toBe('needs_reconnect');
    // The organization's channels are told once (the dashboard's notification worker queues it).
    await db.notificationChannel.create({
      data: {
        organizationId: owner.ctx.organizationId,
        name: 'ops',
        kind: 'slack',
        target: 'https://hooks.example.test/x',
      },
    });
    expect(await queueReconnectNotices(db, { baseUrl: 'http://localhost:3000' })).toBe(1);
    expect(await queueReconnectNotices(db, { baseUrl: 'http://localhost:3000' })).toBe(0);
    const notice = await db.notificationDelivery.findFirstOrThrow({
      where: { organizationId: owner.ctx.organizationId, event: 'connection.needs_reconnect' },
    });
    expect((notice.payload as { text: string }).text).toContain(`${owner.email} on Notes needs reconnecting`);
    expect((notice.payload as { text: string }).text).toContain(`/connections?server=${serverId}`);
    // The member's account is untouched.
    const memberAgent = await agent(gateways[1]!, memberGrant);
    expect(textOf(await call(memberAgent, 'whoami'))).toBe('bob');
    // Reconnecting makes the owner's grant work again.
    await connectAs(owner.ctx, owner.userId, 'alice');
    expect(textOf(await call(ownerAgent, 'whoami'))).toBe('alice');
  });

  it('no row, event or view holds a token; disconnecting revokes at the upstream and stops an open session at once', async () => {
    const key = parseEncryptionKey(env().PORTCULLIS_ENCRYPTION_KEY);
    const rows = await db.upstreamConnection.findMany({ where: { serverId } });
    const secrets = rows.flatMap((row) => {
      const context = (field: 'access' | 'refresh') =>
        upstreamTokenContext(row.organizationId, row.serverId, row.subject, field);
      return [
        decryptSecret(key, row.accessTokenEnc, context('access')),
        decryptSecret(key, row.refreshTokenEnc!, context('refresh')),
      ];
    });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(new Set(secrets).size).toBe(rows.length * 2);
    const everything = JSON.stringify([
      await db.auditEvent.findMany({ where: { organizationId: owner.ctx.organizationId } }),
      await db.adminEvent.findMany({ where: { organizationId: owner.ctx.organizationId } }),
      await db.upstreamAuthorizationState.findMany({}),
      await db.notificationDelivery.findMany({ where: { organizationId: owner.ctx.organizationId } }),
      await listConnections(db, owner.ctx),
      await listConnections(db, member.ctx),
      rows.map((r) => ({ ...r, accessTokenEnc: undefined, refreshTokenEnc: undefined })),
    ]);
    expect(logLines.length).toBeGreaterThan(10);
    const logged = logLines.join('');
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    // A ciphertext moved to another user's row does not open.
    const [a, b] = rows;
    expect(() =>
      decryptSecret(
        key,
        a!.accessTokenEnc,
        upstreamTokenContext(b!.organizationId, b!.serverId, b!.subject, 'access'),
      ),
    ).toThrow();

    const memberAgent = await agent(gateways[0]!, memberGrant);
    expect(textOf(await call(memberAgent, 'whoami'))).toBe('bob');
    const mine = (await listConnections(db, member.ctx))[0]!.connection!;
    // Another member's connection is not theirs to remove (an editor, not an admin).
    const ownerRow = rows.find((r) => r.subject === owner.userId)!;
    await expect(disconnect(db, member.ctx, ownerRow.id)).rejects.toThrow(/admins/);
    const revokedBefore = upstream.revocations.length;
    expect(await disconnect(db, member.ctx, mine.id)).toEqual({ revokedAtUpstream: true });
    expect(upstream.revocations.length - revokedBefore).toBe(2);
    const callsBefore = upstream.mcpCalls.length;
    // The change event reaches the replica within milliseconds; the open session then refuses.
    const refused = await waitFor(async () => {
      const result = await call(memberAgent, 'whoami');
      return result.isError ? result : undefined;
    });
    expect(textOf(refused)).toMatch(/connections\?server=/);
    expect(upstream.mcpCalls.length).toBeLessThanOrEqual(callsBefore + 1);
  });

  it('removing a member drops their accounts: their grant no longer reaches the upstream', async () => {
    await connectAs(member.ctx, member.user.id, 'bob');
    const memberAgent = await agent(gateways[1]!, memberGrant);
    expect(textOf(await call(memberAgent, 'whoami'))).toBe('bob');
    const membership = await db.membership.findFirstOrThrow({
      where: { organizationId: owner.ctx.organizationId, userId: member.user.id },
    });
    await removeMember(db, owner.ctx, membership.id);
    expect(await db.upstreamConnection.count({ where: { userId: member.user.id } })).toBe(0);
    const refused = await waitFor(async () => {
      const result = await call(memberAgent, 'whoami');
      return result.isError ? result : undefined;
    });
    expect(refused.isError).toBe(true);
  });

  it('the callback takes only a state this user started, once and in time; an upstream error names nothing of theirs', async () => {
    const started = new URL(await startConnect(db, owner.ctx, serverId));
    started.searchParams.set('username', 'mallory');
    const back = new URL((await fetch(started, { redirect: 'manual' })).headers.get('location')!);
    const query = { code: back.searchParams.get('code'), state: back.searchParams.get('state'), error: null };
    // Another signed-in user presenting the owner's state (a forged callback link) gets nothing.
    await expect(finishConnect(db, member.user.id, query)).rejects.toThrow(
      /does not belong to a connect flow you started/,
    );
    await expect(finishConnect(db, owner.userId, { ...query, state: 'pcs_unknown' })).rejects.toThrow(
      /does not belong/,
    );
    await expect(finishConnect(db, owner.userId, { ...query, state: null })).rejects.toThrow(/no state/);
    // The rightful user, once; a replay is refused.
    await finishConnect(db, owner.userId, query);
    await expect(finishConnect(db, owner.userId, query)).rejects.toThrow(/expired or was already used/);
    // An expired flow is refused even with a valid code.
    const late = new URL(await startConnect(db, owner.ctx, serverId));
    late.searchParams.set('username', 'alice');
    const lateBack = new URL((await fetch(late, { redirect: 'manual' })).headers.get('location')!);
    await db.upstreamAuthorizationState.updateMany({
      where: { usedAt: null },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    await expect(
      finishConnect(db, owner.userId, {
        code: lateBack.searchParams.get('code'),
        state: lateBack.searchParams.get('state'),
        error: null,
      }),
    ).rejects.toThrow(/expired/);
    // The authorization server's own error comes back bounded, and nothing is stored.
    const denied = new URL(await startConnect(db, owner.ctx, serverId));
    await expect(
      finishConnect(db, owner.userId, {
        code: null,
        state: denied.searchParams.get('state'),
        error: 'access_denied',
      }),
    ).rejects.toThrow(/did not complete \(access_denied\)/);
    // Back to alice for the tests that follow.
    await connectAs(owner.ctx, owner.userId, 'alice');
    const ownerAgent = await agent(gateways[0]!, ownerGrant);
    expect(textOf(await call(ownerAgent, 'whoami'))).toBe('alice');
  });

  it("another organization's grant on the same upstream never uses this organization's accounts", async () => {
    const other = await newOwner('Elsewhere');
    const discovery = await discoverSignIn(upstream.url);
    const client = await registerUpstreamClient(discovery!, { connectionMode: 'shared', ...CLIENT });
    const server = await createServer(db, other.ctx, {
      name: 'Notes too',
      transport: 'streamable_http',
      url: upstream.url,
      headers: [],
      env: [],
    });
    await configureServerSignIn(db, other.ctx, server.id, discovery!, client, 'shared');
    // Its catalog and policy copied from ours, so a call gets as far as the account.
    const tools = await db.tool.findMany({ where: { serverId } });
    await db.tool.createMany({
      data: tools.map(({ id: _id, serverId: _s, organizationId: _o, ...rest }) => ({
        ...rest,
        inputSchema: rest.inputSchema as object,
        outputSchema: (rest.outputSchema ?? undefined) as object | undefined,
        annotations: (rest.annotations ?? undefined) as object | undefined,
        approvedDefinition: (rest.approvedDefinition ?? undefined) as object | undefined,
        injectionFlags: (rest.injectionFlags ?? undefined) as object | undefined,
        serverId: server.id,
        organizationId: other.ctx.organizationId,
      })),
    });
    await setPolicy(other.ctx.organizationId, server.id, {
      version: '1',
      default: 'deny',
      tools: { whoami: { action: 'allow' } },
    });
    const issued = issueToken('grant');
    await db.grant.create({
      data: {
        organizationId: other.ctx.organizationId,
        serverId: server.id,
        name: 'elsewhere',
        tokenHash: issued.hash,
        tokenPrefix: issued.prefix,
        createdById: other.userId,
      },
    });
    const elsewhere = new Client({ name: 'elsewhere', version: '1' });
    clients.push(elsewhere);
    const c = await connectAgent(gateways[0]!, { serverId: server.id, token: issued.token });
    clients.push(c);
    const callsBefore = upstream.mcpCalls.length;
    const refused = (await c.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/organization's account connected: an admin opens/);
    expect(upstream.mcpCalls.length).toBe(callsBefore);
    // A member (not admin) cannot connect the shared account.
    const viewer = await addMember(other.ctx.organizationId, other.orgSlug, 'editor');
    await expect(startConnect(db, viewer.ctx, server.id)).rejects.toThrow(/admins/);
    // Nor can anyone start a connect flow for a server of another organization.
    await expect(startConnect(db, other.ctx, serverId)).rejects.toThrow(/not found/i);
  });
});
