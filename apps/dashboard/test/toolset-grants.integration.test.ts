// Grants for toolsets (docs/toolsets.md): a grant targets one server or one toolset of the same
// organization, exactly one (also at the database: CHECK grants_one_target); its URL and client
// configs use the toolset's id where a server grant has the server's; the REST API, OAuth consent,
// the account states on the grants page and the audit log (filter, names, export) know toolsets.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { createGrant, grantTarget, listGrants } from '../src/modules/grants/grants.ts';
import { oauthSetups, tokenSetups } from '../src/modules/grants/client-setups.ts';
import { GET as listGrantsRoute, POST as createGrantRoute } from '../src/app/api/v1/grants/route.ts';
import { GET as listAuditRoute } from '../src/app/api/v1/audit/route.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { listAuditEvents, parseAuditFilter } from '../src/modules/audit/audit.ts';
import { auditExportStream } from '../src/modules/audit/export.ts';
import { grantAccountStates } from '../src/modules/upstream-oauth/connections.ts';
import { validateAuthorizationRequest } from '../src/modules/oauth/authorization-server.ts';
import { approveConsent, loadConsent } from '../src/modules/oauth/consent.ts';
import { registerOAuthClient } from '../src/modules/oauth/oauth-clients.ts';
import { NotFoundError, ValidationError } from '../src/server/errors.ts';

const GATEWAY = 'http://gateway.test:4000';

beforeEach(resetDatabase);

/** A toolset over `servers` (prefix = server name), written directly. */
async function seedToolset(
  organizationId: string,
  name: string,
  servers: Array<{ id: string; name: string }>,
) {
  const toolset = await db.toolset.create({ data: { organizationId, name } });
  for (const [position, server] of servers.entries())
    await db.toolsetMember.create({
      data: {
        organizationId,
        toolsetId: toolset.id,
        serverId: server.id,
        prefix: server.name.toLowerCase(),
        position,
      },
    });
  return toolset;
}

const noParams = { params: Promise.resolve({}) };
function rest(handler: typeof createGrantRoute, key: string, url: string, body?: unknown) {
  return handler(
    new Request(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    noParams,
  );
}

describe('toolset grants', () => {
  it("creates a grant for the organization's toolset: URL and client configs carry the toolset id", async () => {
    const { ctx } = await newOwner();
    const twikit = await seedServer(ctx.organizationId, 'Twikit');
    const notes = await seedServer(ctx.organizationId, 'Notes');
    const toolset = await seedToolset(ctx.organizationId, 'Social desk', [twikit, notes]);

    const created = await createGrant(db, ctx, { name: 'desk agent', toolsetId: toolset.id });
    expect(created.proxyUrl).toBe(`${GATEWAY}/mcp/${toolset.id}`);
    expect(created.grant).toMatchObject({
      serverId: null,
      toolsetId: toolset.id,
      toolset: { name: 'Social desk' },
    });
    const row = await db.grant.findUniqueOrThrow({ where: { id: created.grant.id } });
    expect(row).toMatchObject({ serverId: null, toolsetId: toolset.id, organizationId: ctx.organizationId });
    const trail = await db.adminEvent.findFirstOrThrow({ where: { action: 'grant.create' } });
    expect(trail.details).toMatchObject({ name: 'desk agent', toolsetId: toolset.id });

    // The list shows the toolset's name where a server grant shows its server's.
    const server = await createGrant(db, ctx, { name: 'twikit agent', serverId: twikit.id });
    const listed = await listGrants(db, ctx);
    expect(listed.map((g) => [g.name, grantTarget(g)])).toEqual(
      expect.arrayContaining([
        ['desk agent', { kind: 'toolset', id: toolset.id, name: 'Social desk' }],
        ['twikit agent', { kind: 'server', id: twikit.id, name: 'Twikit' }],
      ]),
    );
    expect(server.proxyUrl).toBe(`${GATEWAY}/mcp/${twikit.id}`);

    // Every client config points at the toolset's URL, keyed by the toolset's name.
    const setups = [
      ...oauthSetups(grantTarget(created.grant).name, created.proxyUrl),
      ...tokenSetups(grantTarget(created.grant).name, created.proxyUrl),
    ];
    expect(setups).toHaveLength(6);
    for (const setup of setups) {
      expect(setup.text).toContain(`${GATEWAY}/mcp/${toolset.id}`);
      expect(setup.text).toContain('social-desk');
      expect(setup.text).not.toContain(twikit.id);
    }

    // A deleted toolset's grants leave the list with it.
    await db.toolset.update({ where: { id: toolset.id }, data: { deletedAt: new Date() } });
    expect((await listGrants(db, ctx)).map((g) => g.name)).toEqual(['twikit agent']);
  });

  it("refuses another organization's toolset, a deleted one and an unknown one alike", async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const bServer = await seedServer(b.ctx.organizationId);
    const foreign = await seedToolset(b.ctx.organizationId, 'B desk', [bServer]);
    const aServer = await seedServer(a.ctx.organizationId);
    const deleted = await seedToolset(a.ctx.organizationId, 'Old desk', [aServer]);
    await db.toolset.update({ where: { id: deleted.id }, data: { deletedAt: new Date() } });

    const refusals = await Promise.all(
      [foreign.id, deleted.id, 'ckunknowntoolset000000000'].map((toolsetId) =>
        createGrant(db, a.ctx, { name: 'x', toolsetId }).catch((e: unknown) => e),
      ),
    );
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(NotFoundError);
      expect((refusal as Error).message).toBe('Toolset not found');
    }
    expect(await db.grant.count()).toBe(0);
  });

  it('needs exactly one target: serverId or toolsetId', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const toolset = await seedToolset(ctx.organizationId, 'Desk', [server]);
    const neither = await createGrant(db, ctx, { name: 'x' }).catch((e: unknown) => e);
    expect(neither).toBeInstanceOf(ValidationError);
    expect((neither as Error).message).toMatch(/serverId or a toolsetId/);
    const both = await createGrant(db, ctx, { name: 'x', serverId: server.id, toolsetId: toolset.id }).catch(
      (e: unknown) => e,
    );
    expect(both).toBeInstanceOf(ValidationError);
    expect((both as ValidationError).pointer).toBe('/toolsetId');
    expect((both as Error).message).toMatch(/not both/);
    expect(await db.grant.count()).toBe(0);
  });

  it('the database refuses a grant with neither target or with both (CHECK grants_one_target)', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const toolset = await seedToolset(ctx.organizationId, 'Desk', [server]);
    const row = (target: { serverId?: string; toolsetId?: string }, n: number) => ({
      organizationId: ctx.organizationId,
      name: 'raw',
      tokenHash: `hash-${n}`,
      tokenPrefix: 'pcg_raw',
      ...target,
    });
    await expect(db.grant.create({ data: row({}, 1) })).rejects.toThrow(/grants_one_target/);
    await expect(
      db.grant.create({ data: row({ serverId: server.id, toolsetId: toolset.id }, 2) }),
    ).rejects.toThrow(/grants_one_target/);
    await expect(db.grant.create({ data: row({ toolsetId: toolset.id }, 3) })).resolves.toBeTruthy();
    await expect(db.grant.create({ data: row({ serverId: server.id }, 4) })).resolves.toBeTruthy();
  });

  it('REST: POST /grants takes toolsetId (exactly one of serverId and toolsetId) and GET returns it', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const server = await seedServer(a.ctx.organizationId);
    const toolset = await seedToolset(a.ctx.organizationId, 'Desk', [server]);
    const foreign = await seedToolset(b.ctx.organizationId, 'B desk', [
      await seedServer(b.ctx.organizationId),
    ]);
    const key = (await createApiKey(db, a.ctx, { name: 'ci', role: 'editor' })).token;
    const url = 'http://dashboard.test/api/v1/grants';

    const created = await rest(createGrantRoute, key, url, { name: 'via api', toolsetId: toolset.id });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body.grant).toMatchObject({ toolsetId: toolset.id, serverId: null, name: 'via api' });
    expect(body.proxyUrl).toBe(`${GATEWAY}/mcp/${toolset.id}`);
    expect(body.token).toMatch(/^pcg_/);

    const both = await rest(createGrantRoute, key, url, {
      name: 'x',
      serverId: server.id,
      toolsetId: toolset.id,
    });
    expect(both.status).toBe(400);
    expect((await both.json()).error).toMatchObject({
      pointer: '/toolsetId',
      message: expect.stringMatching(/toolsetId: .*send serverId or toolsetId, not both/),
    });
    const neither = await rest(createGrantRoute, key, url, { name: 'x' });
    expect(neither.status).toBe(400);
    expect((await neither.json()).error.message).toMatch(/serverId: .*serverId or a toolsetId/);
    const other = await rest(createGrantRoute, key, url, { name: 'x', toolsetId: foreign.id });
    expect(other.status).toBe(404);
    expect((await other.json()).error.message).toBe('Toolset not found');

    const listed = await (await rest(listGrantsRoute, key, url)).json();
    expect(listed.grants).toEqual([
      expect.objectContaining({ name: 'via api', toolsetId: toolset.id, serverId: null }),
    ]);
    expect(await db.grant.count()).toBe(1);
  });
});

describe('OAuth consent for a toolset URL', () => {
  it('binds the client to a grant of the toolset the resource names, new or existing', async () => {
    await db.$executeRawUnsafe('TRUNCATE oauth_clients CASCADE');
    const owner = await newOwner();
    const stranger = await newOwner('Other');
    const server = await seedServer(owner.ctx.organizationId);
    const toolset = await seedToolset(owner.ctx.organizationId, 'Desk', [server]);
    const existing = await createGrant(db, owner.ctx, { name: 'desk bot', toolsetId: toolset.id });
    await createGrant(db, owner.ctx, { name: 'server bot', serverId: server.id });
    const clientId = (
      await registerOAuthClient(db, {
        client_name: 'Agent',
        redirect_uris: ['http://127.0.0.1:33418/callback'],
      })
    ).client_id as string;
    const result = await validateAuthorizationRequest(db, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: 'http://127.0.0.1:33418/callback',
      code_challenge: 'c'.repeat(43),
      code_challenge_method: 'S256',
      resource: `${GATEWAY}/mcp/${toolset.id}/`,
    });
    if (!result.ok) throw new Error(result.refusal.description);
    expect(result.request).toMatchObject({ targetId: toolset.id, resource: `${GATEWAY}/mcp/${toolset.id}` });

    const view = await loadConsent(db, owner.userId, result.request);
    expect(view.target).toEqual({ kind: 'toolset', id: toolset.id, name: 'Desk' });
    // Only the toolset's grants: the server's grant is another URL.
    expect(view.grants.map((g) => g.name)).toEqual(['desk bot']);
    await expect(loadConsent(db, stranger.userId, result.request)).rejects.toBeInstanceOf(NotFoundError);

    await approveConsent(db, owner.userId, result.request, 'new', 'laptop');
    const made = await db.grant.findFirstOrThrow({ where: { name: 'laptop' } });
    expect(made).toMatchObject({ toolsetId: toolset.id, serverId: null });
    const code = await db.oAuthAuthorizationCode.findFirstOrThrow({ where: { grantId: made.id } });
    expect(code.resource).toBe(`${GATEWAY}/mcp/${toolset.id}`);

    await approveConsent(db, owner.userId, result.request, existing.grant.id, '');
    expect(await db.oAuthAuthorizationCode.count({ where: { grantId: existing.grant.id } })).toBe(1);
  });
});

describe("a toolset grant's upstream accounts", () => {
  it('shows the worst state among the member servers behind sign-in', async () => {
    const { ctx, userId } = await newOwner();
    const plain = await seedServer(ctx.organizationId, 'Plain');
    const notes = await seedServer(ctx.organizationId, 'Notes');
    const docs = await seedServer(ctx.organizationId, 'Docs');
    for (const server of [notes, docs])
      await db.upstreamOAuthConfig.create({
        data: {
          serverId: server.id,
          organizationId: ctx.organizationId,
          connectionMode: 'per_user',
          registration: 'pre_registered',
          resource: 'https://up.example/mcp',
          issuer: 'https://up.example',
          authorizationEndpoint: 'https://up.example/authorize',
          tokenEndpoint: 'https://up.example/token',
          clientId: 'portcullis',
          discoveredAt: new Date(),
        },
      });
    const onlyPlain = await seedToolset(ctx.organizationId, 'Plain only', [plain]);
    const mixed = await seedToolset(ctx.organizationId, 'Mixed', [plain, notes, docs]);
    const plainGrant = (await createGrant(db, ctx, { name: 'p', toolsetId: onlyPlain.id })).grant.id;
    const mixedGrant = (await createGrant(db, ctx, { name: 'm', toolsetId: mixed.id })).grant.id;
    const notesGrant = (await createGrant(db, ctx, { name: 'n', serverId: notes.id })).grant.id;
    const states = () => grantAccountStates(db, ctx, [plainGrant, mixedGrant, notesGrant]);

    expect(await states()).toEqual(
      new Map([
        [mixedGrant, 'not connected'],
        [notesGrant, 'not connected'],
      ]),
    );
    const connect = (serverId: string, status: 'active' | 'needs_reconnect') =>
      db.upstreamConnection.create({
        data: {
          organizationId: ctx.organizationId,
          serverId,
          subject: userId,
          userId,
          status,
          accessTokenEnc: 'sealed',
          connectedById: userId,
        },
      });
    await connect(notes.id, 'active');
    // Docs still has no account for the grant's creator.
    expect((await states()).get(mixedGrant)).toBe('not connected');
    expect((await states()).get(notesGrant)).toBe('connected');
    await connect(docs.id, 'needs_reconnect');
    expect((await states()).get(mixedGrant)).toBe('needs reconnect');
    await db.upstreamConnection.updateMany({ where: { serverId: docs.id }, data: { status: 'active' } });
    expect((await states()).get(mixedGrant)).toBe('connected');
    expect((await states()).has(plainGrant)).toBe(false);
  });
});

describe('audit by toolset', () => {
  it('filters by toolset, names the toolset on its rows, and exports toolsetId', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const twikit = await seedServer(a.ctx.organizationId, 'Twikit');
    const desk = await seedToolset(a.ctx.organizationId, 'Desk', [twikit]);
    const other = await seedToolset(a.ctx.organizationId, 'Other desk', [twikit]);
    const bServer = await seedServer(b.ctx.organizationId, 'B server');
    const bDesk = await seedToolset(b.ctx.organizationId, 'B desk', [bServer]);
    const base = Date.now() - 60_000;
    const event = (organizationId: string, serverId: string, toolsetId: string | null, i: number) => ({
      organizationId,
      serverId,
      toolsetId,
      toolName: 'get_tweet',
      method: 'tools/call',
      decision: 'allow' as const,
      createdAt: new Date(base + i * 1000),
    });
    await db.auditEvent.createMany({
      data: [
        event(a.ctx.organizationId, twikit.id, desk.id, 1),
        event(a.ctx.organizationId, twikit.id, desk.id, 2),
        event(a.ctx.organizationId, twikit.id, other.id, 3),
        event(a.ctx.organizationId, twikit.id, null, 4),
        event(b.ctx.organizationId, bServer.id, bDesk.id, 5),
      ],
    });

    const filter = parseAuditFilter({ toolset: desk.id });
    expect(filter).toEqual({ toolset: desk.id });
    const page = await listAuditEvents(db, a.ctx, filter);
    expect(page.rows).toHaveLength(2);
    for (const row of page.rows)
      expect(row).toMatchObject({ toolsetId: desk.id, toolsetName: 'Desk', serverName: 'Twikit' });
    const all = await listAuditEvents(db, a.ctx, {});
    expect(all.rows.map((r) => r.toolsetName)).toEqual([null, 'Other desk', 'Desk', 'Desk']);
    // Another organization's toolset id finds nothing.
    expect((await listAuditEvents(db, a.ctx, { toolset: bDesk.id })).rows).toEqual([]);

    const key = (await createApiKey(db, a.ctx, { name: 'ro', role: 'viewer' })).token;
    const res = await listAuditRoute(
      new Request(`http://dashboard.test/api/v1/audit?toolset=${desk.id}`, {
        headers: { authorization: `Bearer ${key}` },
      }),
      noParams,
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.events.map((e: { toolsetId: string }) => e.toolsetId)).toEqual([desk.id, desk.id]);

    const csv = await new Response(auditExportStream(db, a.ctx, { toolset: desk.id }, 'csv')).text();
    const [header, ...lines] = csv.trim().split('\n');
    const columns = header!.split(',');
    expect(columns).toContain('toolsetId');
    expect(columns).toContain('toolsetName');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toContain(`"${desk.id}"`);
    const jsonl = await new Response(auditExportStream(db, a.ctx, {}, 'jsonl')).text();
    const exported = jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { toolsetId: string | null });
    expect(exported.map((e) => e.toolsetId)).toEqual([null, other.id, desk.id, desk.id]);
  });
});
