// Every REST route, probed with organization A's API key against organization B's ids: each must
// answer 404 (or, for lists, contain nothing of B's). The route files are enumerated from disk, so
// a new route without an entry in ROUTES fails this test.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { createGrant } from '../src/modules/grants/grants.ts';
import { savePolicy } from '../src/modules/policies/policies.ts';
import { createToolset } from '../src/modules/toolsets/toolsets.ts';

const apiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/app/api/v1');

function routeFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return routeFiles(full, prefix ? `${prefix}/${entry}` : entry);
    return entry === 'route.ts' ? [prefix] : [];
  });
}

interface Ids {
  serverId: string;
  grantId: string;
  approvalId: string;
  toolId: string;
  toolsetId: string;
}
type Probe = {
  method: string;
  params: (b: Ids) => Record<string, string>;
  body?: unknown;
  list?: boolean;
  query?: (b: Ids) => string;
  /** A refusal other than 404: B's id inside a body is a validation error (400), as an unknown id is. */
  status?: number;
};

// `list` routes take no foreign id: they must answer 200 without any of B's ids in the body.
const ROUTES: Record<string, Probe[] | 'public'> = {
  'openapi.json': 'public',
  servers: [
    { method: 'GET', params: () => ({}), list: true },
    {
      method: 'POST',
      params: () => ({}),
      body: { name: 'probe', transport: 'streamable_http', url: 'https://x.example/mcp' },
      list: true,
    },
  ],
  'servers/[serverId]': [{ method: 'GET', params: (b) => ({ serverId: b.serverId }) }],
  'servers/[serverId]/sync': [{ method: 'POST', params: (b) => ({ serverId: b.serverId }) }],
  'servers/[serverId]/tools': [{ method: 'GET', params: (b) => ({ serverId: b.serverId }) }],
  'servers/[serverId]/policy': [
    { method: 'GET', params: (b) => ({ serverId: b.serverId }) },
    {
      method: 'PUT',
      params: (b) => ({ serverId: b.serverId }),
      body: { document: { version: '1', default: 'allow' } },
    },
  ],
  'servers/[serverId]/policy/versions': [{ method: 'GET', params: (b) => ({ serverId: b.serverId }) }],
  grants: [
    { method: 'GET', params: () => ({}), list: true },
    { method: 'POST', params: () => ({}), body: undefined as unknown },
  ],
  'grants/[grantId]/revoke': [{ method: 'POST', params: (b) => ({ grantId: b.grantId }) }],
  approvals: [{ method: 'GET', params: () => ({}), list: true }],
  'approvals/[approvalId]/decide': [
    { method: 'POST', params: (b) => ({ approvalId: b.approvalId }), body: { decision: 'approve' } },
  ],
  'tools/[toolId]/review': [
    {
      method: 'POST',
      params: (b) => ({ toolId: b.toolId }),
      body: { decision: 'approve', definitionHash: 'a'.repeat(64) },
    },
    { method: 'POST', params: (b) => ({ toolId: b.toolId }), body: { decision: 'block' } },
  ],
  'tools/[toolId]': [
    {
      method: 'PATCH',
      params: (b) => ({ toolId: b.toolId }),
      body: { overrideName: 'probe', overrideDescription: 'probe' },
    },
  ],
  toolsets: [
    { method: 'GET', params: () => ({}), list: true },
    // B's server as a member of a new toolset of A's: refused as an unknown server.
    { method: 'POST', params: () => ({}), body: undefined as unknown, status: 400 },
  ],
  'toolsets/[toolsetId]': [
    { method: 'GET', params: (b) => ({ toolsetId: b.toolsetId }) },
    { method: 'PUT', params: (b) => ({ toolsetId: b.toolsetId }), body: undefined as unknown },
    { method: 'PATCH', params: (b) => ({ toolsetId: b.toolsetId }), body: { name: 'probe' } },
    { method: 'DELETE', params: (b) => ({ toolsetId: b.toolsetId }) },
  ],
  'toolsets/[toolsetId]/simulate': [
    {
      method: 'POST',
      params: (b) => ({ toolsetId: b.toolsetId }),
      body: { name: 'b-server__get_tweet', arguments: {} },
    },
  ],
  audit: [
    { method: 'GET', params: () => ({}), list: true },
    {
      method: 'GET',
      params: () => ({}),
      list: true,
      query: (b) => `?server=${b.serverId}&grant=${b.grantId}`,
    },
  ],
};

let keyA = '';
let idsB: Ids;
let orgB = '';

beforeAll(async () => {
  await resetDatabase();
  const a = await newOwner('A');
  const b = await newOwner('B');
  orgB = b.ctx.organizationId;
  keyA = (await createApiKey(db, a.ctx, { name: 'a', role: 'admin' })).token;
  const server = await seedServer(b.ctx.organizationId, 'B server');
  await savePolicy(db, b.ctx, server.id, { version: '1', default: 'deny' });
  const { grant } = await createGrant(db, b.ctx, { name: 'b grant', serverId: server.id });
  const approval = await db.approval.create({
    data: {
      organizationId: orgB,
      grantId: grant.id,
      serverId: server.id,
      toolName: 'delete_tweet',
      argumentsHash: 'h',
      expiresAt: new Date(Date.now() + 600_000),
    },
  });
  await db.auditEvent.create({
    data: {
      organizationId: orgB,
      serverId: server.id,
      grantId: grant.id,
      method: 'tools/call',
      decision: 'allow',
      toolName: 'get_tweet',
    },
  });
  const tool = await db.tool.findFirstOrThrow({ where: { serverId: server.id } });
  const toolset = await createToolset(db, b.ctx, { name: 'b toolset', members: [{ serverId: server.id }] });
  idsB = {
    serverId: server.id,
    grantId: grant.id,
    approvalId: approval.id,
    toolId: tool.id,
    toolsetId: toolset.id,
  };
  (ROUTES.toolsets as Probe[])[1]!.body = { name: 'probe', members: [{ serverId: server.id }] };
  (ROUTES['toolsets/[toolsetId]'] as Probe[])[1]!.body = {
    name: 'probe',
    members: [{ serverId: server.id }],
  };
  // The grant-create probe names B's server.
  (ROUTES.grants as Probe[])[1]!.body = { name: 'probe', serverId: server.id };
});

describe('REST API tenant isolation', () => {
  const files = routeFiles(apiDir);

  it('has a table entry for every route file', () => {
    expect(files.filter((f) => !(f in ROUTES))).toEqual([]);
  });

  for (const route of files) {
    const probes = ROUTES[route];
    if (!probes || probes === 'public') continue;
    for (const probe of probes) {
      it(`${probe.method} /api/v1/${route}${probe.query ? ' (filtered by B ids)' : ''} with A's key never reaches B`, async () => {
        const mod = (await import(path.join(apiDir, route, 'route.ts'))) as Record<
          string,
          (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>
        >;
        const handler = mod[probe.method];
        expect(handler, `${route} exports ${probe.method}`).toBeTypeOf('function');
        const call = (headers: Record<string, string>) =>
          handler!(
            new Request(`http://dashboard.test/api/v1/${route}${probe.query?.(idsB) ?? ''}`, {
              method: probe.method,
              headers: { 'content-type': 'application/json', ...headers },
              ...(probe.body !== undefined ? { body: JSON.stringify(probe.body) } : {}),
            }),
            { params: Promise.resolve(probe.params(idsB)) },
          );
        const before = await db.adminEvent.count({ where: { organizationId: orgB } });
        const res = await call({ authorization: `Bearer ${keyA}` });
        const text = await res.text();
        if (probe.list) {
          expect([200, 201, 404]).toContain(res.status);
          for (const id of Object.values(idsB)) expect(text).not.toContain(id);
        } else {
          expect(res.status, text).toBe(probe.status ?? 404);
          expect(JSON.parse(text)).toMatchObject({ error: { message: expect.any(String) } });
        }
        expect(await db.adminEvent.count({ where: { organizationId: orgB } })).toBe(before);
        // And without credentials: 401, never data.
        const anonymous = await call({
          authorization: 'Bearer pck_not-a-real-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        });
        expect(anonymous.status).toBe(401);
      });
    }
  }

  it('left B untouched', async () => {
    expect(await db.grant.count({ where: { organizationId: orgB, revokedAt: { not: null } } })).toBe(0);
    expect(await db.approval.count({ where: { organizationId: orgB, status: 'pending' } })).toBe(1);
    expect(await db.policyVersion.count({ where: { organizationId: orgB } })).toBe(1);
    expect(await db.tool.count({ where: { organizationId: orgB, pinState: { not: 'approved' } } })).toBe(0);
    expect(
      await db.toolset.findMany({ where: { organizationId: orgB }, select: { name: true, deletedAt: true } }),
    ).toEqual([{ name: 'b toolset', deletedAt: null }]);
    expect(await db.toolset.count({ where: { organizationId: { not: orgB } } })).toBe(0);
    expect(await db.tool.count({ where: { organizationId: orgB, overrideName: { not: null } } })).toBe(0);
  });
});
