// Issue #8, "tenant isolation": two organizations on the running product (dashboard on `next start`,
// gateway, stdio Twikit upstreams). Signed in as A (session cookie) or holding A's API key or A's
// grant token, every REST endpoint, org page (HTML and RSC), route handler, server action and
// gateway URL is probed with B's slug and B's ids. Counted as a cross-tenant read: a response that
// contains any of B's names (each carries B's marker) or a success on B's object; as a write: any
// change in B's rows (a snapshot of every table is compared before and after each probe) or a call
// that reached B's upstream. The route, page and action lists are read from disk and from the
// build's action manifest, so a new one without an entry here fails the test.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCallLog, tempFile, testDb } from '../../apps/gateway/test/harness.ts';
import { createInvitation } from '../../apps/dashboard/src/modules/orgs/members.ts';
import { createGrant } from '../../apps/dashboard/src/modules/grants/grants.ts';
import { savePolicy } from '../../apps/dashboard/src/modules/policies/policies.ts';
import { createServer, syncServer } from '../../apps/dashboard/src/modules/servers/servers.ts';
import { createToolset } from '../../apps/dashboard/src/modules/toolsets/toolsets.ts';
import { connect } from './support/agents.ts';
import { until } from './support/processes.ts';
import { callAction, form, request, serverActions, type HttpAnswer } from './support/dashboard.ts';
import { root, writeResult } from './support/results.ts';
import { newTenant, type Tenant } from './support/tenants.ts';

const appDir = path.join(root, 'apps/dashboard/src/app');
const gatewayUrl = () => process.env.RELIABILITY_GATEWAY_URL!;
const ALLOW_ALL = { version: '1', default: 'allow' };

interface Objects {
  serverId: string;
  grantId: string;
  grantToken: string;
  toolId: string;
  approvalId: string;
  invitationId: string;
  membershipId: string;
  apiKeyId: string;
  versionId: string;
  channelId: string;
  exportId: string;
  toolsetId: string;
  logFile: string;
}

let A: Tenant;
let B: Tenant;
let a: Objects;
let b: Objects;
let bSession: Client;
let bSseSessionId: string;
let bSseAbort: AbortController;

interface ProbeRecord {
  area: string;
  probe: string;
  status: number;
  read: boolean;
  write: boolean;
  /** For a failed probe: what gave it away. */
  evidence?: string;
}
const records: ProbeRecord[] = [];

async function setUpObjects(t: Tenant): Promise<Objects> {
  const db = testDb();
  const logFile = tempFile(`${t.label}-calls.jsonl`);
  const server = await createServer(db, t.ctx, {
    name: `${t.label} server ${t.marker}`,
    transport: 'stdio',
    stdioTemplate: 'twikit',
    args: ['--log-file', logFile],
    env: [{ name: 'TENANT_NOTE', value: `${t.marker} env secret` }],
  });
  await syncServer(db, t.ctx, server.id);
  const first = await savePolicy(db, t.ctx, server.id, ALLOW_ALL, `${t.label} first ${t.marker}`);
  await savePolicy(
    db,
    t.ctx,
    server.id,
    { ...ALLOW_ALL, tools: { delete_tweet: { action: 'deny', reason: `${t.marker} reason` } } },
    `${t.label} second`,
  );
  const grant = await createGrant(db, t.ctx, { name: `${t.label} grant ${t.marker}`, serverId: server.id });
  const tool = await db.tool.findFirstOrThrow({ where: { serverId: server.id, name: 'delete_tweet' } });
  const approval = await db.approval.create({
    data: {
      organizationId: t.ctx.organizationId,
      grantId: grant.grant.id,
      serverId: server.id,
      toolName: 'delete_tweet',
      argumentsHash: 'h',
      arguments: { tweet_id: t.marker },
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  await db.auditEvent.create({
    data: {
      organizationId: t.ctx.organizationId,
      serverId: server.id,
      grantId: grant.grant.id,
      method: 'tools/call',
      decision: 'allow',
      toolName: 'get_tweet',
      arguments: { tweet_id: t.marker },
      argumentsRedacted: false,
    },
  });
  const invitation = await createInvitation(db, t.ctx, {
    email: `invited-${t.marker}@example.test`,
    role: 'viewer',
  });
  const member = await db.user.create({
    data: { email: `member-${t.marker}@example.test`, name: `${t.label} member ${t.marker}` },
  });
  const membership = await db.membership.create({
    data: { organizationId: t.ctx.organizationId, userId: member.id, role: 'viewer' },
  });
  const apiKey = await db.apiKey.findFirstOrThrow({ where: { organizationId: t.ctx.organizationId } });
  const channel = await db.notificationChannel.create({
    data: {
      organizationId: t.ctx.organizationId,
      name: `${t.label} channel ${t.marker}`,
      kind: 'email',
      target: `ops-${t.marker}@example.test`,
    },
  });
  // Off, so the stack's export worker leaves the row alone (the snapshot would see its claims).
  const auditExport = await db.auditExport.create({
    data: {
      organizationId: t.ctx.organizationId,
      name: `${t.label} export ${t.marker}`,
      kind: 'https',
      url: `https://siem-${t.label}.example/in`,
      enabled: false,
      cursorAt: new Date(),
    },
  });
  const toolset = await createToolset(db, t.ctx, {
    name: `${t.label} toolset ${t.marker}`,
    members: [{ serverId: server.id, prefix: 'tw', tools: ['get_tweet'] }],
  });
  return {
    serverId: server.id,
    grantId: grant.grant.id,
    grantToken: grant.token,
    toolId: tool.id,
    approvalId: approval.id,
    invitationId: invitation.invitationId,
    membershipId: membership.id,
    apiKeyId: apiKey.id,
    versionId: first.id,
    channelId: channel.id,
    exportId: auditExport.id,
    toolsetId: toolset.id,
    logFile,
  };
}

/** Every row of B's, by table, minus columns that legitimately move (last used / seen, a channel's backoff). */
async function snapshot(organizationId: string): Promise<string> {
  const db = testDb();
  const tables = [
    'organizations',
    'memberships',
    'invitations',
    'api_keys',
    'mcp_servers',
    'tools',
    'policy_versions',
    'grants',
    'approvals',
    'audit_events',
    'admin_events',
    'gateway_sessions',
    'notification_channels',
    'audit_exports',
    'toolsets',
    'toolset_members',
  ];
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    const where = table === 'organizations' ? 'id' : '"organizationId"';
    const rows = await db.$queryRawUnsafe<Array<{ row: Record<string, unknown> }>>(
      `SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${where} = $1`,
      organizationId,
    );
    out[table] = rows
      .map((r) => {
        const { lastUsedAt: _u, lastSeenAt: _s, ...row } = r.row;
        if (table !== 'notification_channels') return row;
        // A channel's delivery backoff moves with B's own notifications (B has a pending approval).
        const { updatedAt: _t, pausedUntil: _p, ...channel } = row;
        return channel;
      })
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  }
  return JSON.stringify(out);
}

/** B's marker in a response, other than inside B's slug (which A's probe itself put in the URL). */
function leaks(answer: HttpAnswer): boolean {
  return answer.text.replaceAll(B.orgSlug, '').includes(B.marker);
}

/** Runs one probe; a snapshot of B before and after tells whether it wrote. */
async function probe(
  area: string,
  name: string,
  run: () => Promise<HttpAnswer>,
  expectation: (answer: HttpAnswer) => boolean,
): Promise<void> {
  const before = await snapshot(B.ctx.organizationId);
  const answer = await run();
  const after = await snapshot(B.ctx.organizationId);
  const read = leaks(answer) || !expectation(answer);
  const write = before !== after;
  if (write) {
    const [x, y] = [
      JSON.parse(before) as Record<string, unknown[]>,
      JSON.parse(after) as Record<string, unknown[]>,
    ];
    const changed = Object.keys(x).filter((table) => JSON.stringify(x[table]) !== JSON.stringify(y[table]));
    const diff = (t: string) => {
      const old = new Set(x[t]!.map((r) => JSON.stringify(r)));
      return y[t]!.map((r) => JSON.stringify(r))
        .filter((r) => !old.has(r))
        .join(', ');
    };
    records.push({
      area,
      probe: `${name}: B rows changed`,
      status: answer.status,
      read: false,
      write: true,
      evidence: changed
        .map((t) => `${t}: now ${diff(t)}`)
        .join(' | ')
        .slice(0, 2000),
    });
    return;
  }
  const at = answer.text.replaceAll(B.orgSlug, '<B slug>').indexOf(B.marker);
  const evidence = read
    ? at >= 0
      ? `…${answer.text.replaceAll(B.orgSlug, '<B slug>').slice(Math.max(0, at - 150), at + 60)}…`
      : `${answer.headers.get('location') ?? ''} ${answer.text.slice(0, 200)}`
    : undefined;
  records.push({ area, probe: name, status: answer.status, read, write, ...(evidence ? { evidence } : {}) });
}

beforeAll(async () => {
  [A, B] = [await newTenant('a'), await newTenant('b')];
  [a, b] = [await setUpObjects(A), await setUpObjects(B)];
  // B is using the gateway: a Streamable HTTP session and a legacy SSE session stay open throughout.
  bSession = await connect(gatewayUrl(), b.serverId, b.grantToken);
  await bSession.callTool({ name: 'get_tweet', arguments: { tweet_id: '1' } });
  bSseAbort = new AbortController();
  const sse = await fetch(`${gatewayUrl()}/mcp/${b.serverId}/sse`, {
    headers: { authorization: `Bearer ${b.grantToken}`, accept: 'text/event-stream' },
    signal: bSseAbort.signal,
  });
  const reader = sse.body!.getReader();
  let text = '';
  while (!/sessionId=([\w-]+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  bSseSessionId = /sessionId=([\w-]+)/.exec(text)![1]!;
  // The outcome of B's call is written a moment after B got its answer: settle before snapshots start.
  await until(
    async () =>
      (await testDb().auditEvent.count({
        where: { organizationId: B.ctx.organizationId, upstreamOutcome: 'pending' },
      })) === 0,
    10_000,
    'B’s audit rows to settle',
  );
}, 180_000);

afterAll(async () => {
  await bSession?.close().catch(() => undefined);
  bSseAbort?.abort();
  const areas: Record<string, { probes: number; reads: number; writes: number }> = {};
  for (const r of records) {
    const e = (areas[r.area] ??= { probes: 0, reads: 0, writes: 0 });
    e.probes += 1;
    e.reads += r.read ? 1 : 0;
    e.writes += r.write ? 1 : 0;
  }
  writeResult('tenant-isolation', {
    probes: records.length,
    crossTenantReads: records.filter((r) => r.read).length,
    crossTenantWrites: records.filter((r) => r.write).length,
    areas,
    failures: records.filter((r) => r.read || r.write),
  });
});

// REST API: route files from disk; each must have an entry.
type RestProbe = {
  method: string;
  path: (t: Objects) => string;
  body?: (t: Objects) => unknown;
  list?: boolean;
  /** A refusal other than 404: B's id inside a body is a validation error (400), as an unknown id is. */
  status?: number;
};
const REST: Record<string, RestProbe[] | 'public'> = {
  'openapi.json': 'public',
  servers: [
    { method: 'GET', path: () => '/api/v1/servers', list: true },
    {
      method: 'POST',
      path: () => '/api/v1/servers',
      body: () => ({
        name: `probe ${Math.random()}`,
        transport: 'streamable_http',
        url: 'https://x.example/mcp',
      }),
      list: true,
    },
  ],
  'servers/[serverId]': [{ method: 'GET', path: (t) => `/api/v1/servers/${t.serverId}` }],
  'servers/[serverId]/sync': [{ method: 'POST', path: (t) => `/api/v1/servers/${t.serverId}/sync` }],
  'servers/[serverId]/tools': [{ method: 'GET', path: (t) => `/api/v1/servers/${t.serverId}/tools` }],
  'servers/[serverId]/policy': [
    { method: 'GET', path: (t) => `/api/v1/servers/${t.serverId}/policy` },
    {
      method: 'PUT',
      path: (t) => `/api/v1/servers/${t.serverId}/policy`,
      body: () => ({ document: { version: '1', default: 'deny' } }),
    },
  ],
  'servers/[serverId]/policy/versions': [
    { method: 'GET', path: (t) => `/api/v1/servers/${t.serverId}/policy/versions` },
  ],
  grants: [
    { method: 'GET', path: () => '/api/v1/grants', list: true },
    { method: 'GET', path: (t) => `/api/v1/grants?serverId=${t.serverId}`, list: true },
    { method: 'POST', path: () => '/api/v1/grants', body: (t) => ({ name: 'probe', serverId: t.serverId }) },
  ],
  'grants/[grantId]/revoke': [{ method: 'POST', path: (t) => `/api/v1/grants/${t.grantId}/revoke` }],
  toolsets: [
    { method: 'GET', path: () => '/api/v1/toolsets', list: true },
    {
      method: 'POST',
      path: () => '/api/v1/toolsets',
      body: (t) => ({ name: 'probe', members: [{ serverId: t.serverId }] }),
      status: 400,
    },
  ],
  'toolsets/[toolsetId]': [
    { method: 'GET', path: (t) => `/api/v1/toolsets/${t.toolsetId}` },
    {
      method: 'PUT',
      path: (t) => `/api/v1/toolsets/${t.toolsetId}`,
      body: (t) => ({ name: 'probe', members: [{ serverId: t.serverId }] }),
    },
    { method: 'PATCH', path: (t) => `/api/v1/toolsets/${t.toolsetId}`, body: () => ({ name: 'probe' }) },
    { method: 'DELETE', path: (t) => `/api/v1/toolsets/${t.toolsetId}` },
  ],
  'toolsets/[toolsetId]/simulate': [
    {
      method: 'POST',
      path: (t) => `/api/v1/toolsets/${t.toolsetId}/simulate`,
      body: () => ({ name: 'tw__get_tweet', arguments: { tweet_id: '1' } }),
    },
  ],
  approvals: [{ method: 'GET', path: () => '/api/v1/approvals', list: true }],
  'approvals/[approvalId]/decide': [
    {
      method: 'POST',
      path: (t) => `/api/v1/approvals/${t.approvalId}/decide`,
      body: () => ({ decision: 'approve' }),
    },
  ],
  'tools/[toolId]/review': [
    {
      method: 'POST',
      path: (t) => `/api/v1/tools/${t.toolId}/review`,
      body: () => ({ decision: 'approve', definitionHash: 'a'.repeat(64) }),
    },
    { method: 'POST', path: (t) => `/api/v1/tools/${t.toolId}/review`, body: () => ({ decision: 'block' }) },
  ],
  'tools/[toolId]': [
    {
      method: 'PATCH',
      path: (t) => `/api/v1/tools/${t.toolId}`,
      body: () => ({ overrideName: 'probe_name', overrideDescription: 'probe' }),
    },
  ],
  audit: [
    { method: 'GET', path: () => '/api/v1/audit', list: true },
    {
      method: 'GET',
      path: (t) => `/api/v1/audit?server=${t.serverId}&grant=${t.grantId}&tool=get_tweet`,
      list: true,
    },
  ],
};

function files(dir: string, leaf: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return files(full, leaf, prefix ? `${prefix}/${entry}` : entry);
    return entry === leaf ? [prefix] : [];
  });
}

describe('tenant isolation', () => {
  it('REST API: A’s key and A’s session never read or change B', async () => {
    const routes = files(path.join(appDir, 'api/v1'), 'route.ts');
    expect(
      routes.filter((r) => !(r in REST)),
      'REST routes without a probe',
    ).toEqual([]);
    const origin = process.env.RELIABILITY_DASHBOARD_URL!;
    for (const route of routes) {
      const entries = REST[route];
      if (!entries || entries === 'public') continue;
      for (const p of entries) {
        const credentials: Array<[string, Record<string, string>, string | undefined, boolean]> = [
          ['A api key', { authorization: `Bearer ${A.apiKey}` }, undefined, Boolean(p.list)],
          ['A session, A org', { 'x-portcullis-org': A.orgSlug, origin }, A.cookie, Boolean(p.list)],
          ['A session, B org', { 'x-portcullis-org': B.orgSlug, origin }, A.cookie, false],
        ];
        for (const [who, headers, cookie, list] of credentials) {
          await probe(
            'REST API',
            `${p.method} ${route} (${who})`,
            () =>
              request(p.path(b), {
                method: p.method,
                cookie,
                headers: { 'content-type': 'application/json', ...headers },
                ...(p.body ? { body: JSON.stringify(p.body(b)) } : p.method === 'GET' ? {} : { body: '{}' }),
              }),
            (answer) =>
              list
                ? answer.status < 300
                : (answer.status === 404 || answer.status === p.status) && /"error"/.test(answer.text),
          );
        }
      }
    }
  }, 300_000);

  it('pages, RSC payloads and route handlers: B’s slug and B’s ids answer 404', async () => {
    // Route groups ("(sections)") are folders, not URL segments.
    const url = (p: string) => `/o/[orgSlug]${p ? `/${p}` : ''}`.replace(/\/\([^)]+\)/g, '');
    const pages = files(path.join(appDir, 'o/[orgSlug]'), 'page.tsx').map(url);
    const handlers = files(path.join(appDir, 'o/[orgSlug]'), 'route.ts').map(url);
    expect(pages.length).toBeGreaterThanOrEqual(10);
    const fill = (route: string, slug: string, serverId: string) =>
      route.replace('[orgSlug]', slug).replace('[serverId]', serverId).replace('[toolsetId]', b.toolsetId);
    for (const route of [...pages, ...handlers]) {
      const variants: Array<[string, string]> = [[`B slug`, fill(route, B.orgSlug, b.serverId)]];
      if (route.includes('[serverId]'))
        variants.push([`A slug, B server`, fill(route, A.orgSlug, b.serverId)]);
      if (route.includes('[toolsetId]'))
        variants.push([`A slug, B toolset`, fill(route, A.orgSlug, b.serverId)]);
      for (const [who, url] of variants) {
        for (const rsc of handlers.includes(route) ? [false] : [false, true]) {
          // An RSC request is what client-side navigation sends; Next redirects it once to the URL
          // with the right `_rsc` cache key, which is then answered.
          const fetchPage = async () => {
            const first = await request(url, { cookie: A.cookie, headers: rsc ? { rsc: '1' } : {} });
            const location = first.headers.get('location');
            return rsc && first.status === 307 && location?.includes('_rsc')
              ? request(location, { cookie: A.cookie, headers: { rsc: '1' } })
              : first;
          };
          // Client navigations get the not-found tree (Next answers them 200); documents a real 404.
          const notFound = (answer: HttpAnswer) =>
            answer.status === 404 ||
            (rsc &&
              answer.status === 200 &&
              /NEXT_HTTP_ERROR_FALLBACK;404|This page does not exist, or you do not have access to it/.test(
                answer.text,
              ));
          await probe('pages', `${route} (${who}${rsc ? ', RSC' : ''})`, fetchPage, notFound);
        }
      }
    }
    // Control: A's own server page renders (and would show B's marker if the filter were wrong).
    expect((await request(`/o/${A.orgSlug}/servers/${a.serverId}`, { cookie: A.cookie })).text).toContain(
      A.marker,
    );
    expect((await request(`/o/${A.orgSlug}/toolsets/${a.toolsetId}`, { cookie: A.cookie })).text).toContain(
      A.marker,
    );
    // A's own lists filtered by B's ids show nothing of B's.
    for (const url of [
      `/o/${A.orgSlug}/audit?server=${b.serverId}&grant=${b.grantId}`,
      `/o/${A.orgSlug}/audit/export?format=jsonl&server=${b.serverId}`,
      `/o/${A.orgSlug}/grants?serverId=${b.serverId}`,
      `/o/${A.orgSlug}/approvals`,
      `/o/${A.orgSlug}/trail`,
      `/o/${A.orgSlug}/members`,
    ]) {
      await probe(
        'pages',
        `${url.replace(A.orgSlug, '<A>').replace(b.serverId, '<B server>').replace(b.grantId, '<B grant>')} (A's list, B filter)`,
        () => request(url, { cookie: A.cookie }),
        (answer) => answer.status === 200,
      );
    }
  }, 300_000);

  it('server actions: A’s session cannot act on B', async () => {
    const actions = serverActions();
    const page = (worker: string) =>
      worker
        .replace(/^app/, '')
        .replace(/\/page$/, '')
        .replace(/\/\([^)]+\)/g, '')
        .replace('[orgSlug]', A.orgSlug)
        .replace('[serverId]', a.serverId)
        .replace('[toolsetId]', a.toolsetId)
        .replace('[token]', 'x') || '/';
    type Case = { who: string; args: unknown[] };
    const withForm = (fields: Record<string, string>, prev: boolean): unknown[] =>
      prev ? [null, form(fields)] : [form(fields)];
    // For each action, B's slug with B's ids, and A's slug with B's ids (where the action takes ids).
    const ACTIONS: Record<string, ((prev: boolean) => Case[]) | 'not org-scoped'> = {
      signInAction: 'not org-scoped',
      signUpAction: 'not org-scoped',
      confirmEmailAction: 'not org-scoped', // consumes a verification link: a random token signs nobody in
      resendVerificationAction: 'not org-scoped', // the signed-in user's own address
      signOutAction: 'not org-scoped',
      oidcSignInAction: 'not org-scoped', // the OIDC sign-in button (signs in at the provider)
      createOrganizationAction: 'not org-scoped',
      acceptInvitationAction: (p) => [
        { who: 'guessed invitation token', args: withForm({ token: `pci_${'A'.repeat(43)}` }, p) },
      ],
      leaveOrganizationAction: (p) => [{ who: 'B slug', args: withForm({ orgSlug: B.orgSlug }, p) }],
      inviteAction: (p) => [
        { who: 'B slug', args: withForm({ orgSlug: B.orgSlug, email: 'x@example.test', role: 'owner' }, p) },
      ],
      revokeInvitationAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, invitationId: b.invitationId }, p)),
      changeRoleAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, membershipId: b.membershipId, role: 'owner' }, p)),
      removeMemberAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, membershipId: b.membershipId }, p)),
      decideApprovalAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, approvalId: b.approvalId, decision: 'approve' }, p)),
      createGrantAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, name: 'probe', serverId: b.serverId }, p)),
      revokeGrantAction: (p) => slugs((slug) => withForm({ orgSlug: slug, grantId: b.grantId }, p)),
      registerServerAction: (p) => [
        {
          who: 'B slug',
          args: withForm(
            { orgSlug: B.orgSlug, name: 'probe', transport: 'stdio', stdioTemplate: 'twikit' },
            p,
          ),
        },
      ],
      syncToolsAction: (p) => slugs((slug) => withForm({ orgSlug: slug, serverId: b.serverId }, p)),
      testConnectionAction: (p) => slugs((slug) => withForm({ orgSlug: slug, serverId: b.serverId }, p)),
      deleteServerAction: (p) => slugs((slug) => withForm({ orgSlug: slug, serverId: b.serverId }, p)),
      decideToolChangeAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, toolId: b.toolId, decision: 'approve' }, p)),
      overrideRiskAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, toolId: b.toolId, category: 'read', severity: 'low' }, p)),
      saveToolOverrideAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, toolId: b.toolId, overrideName: 'probe_name' }, p)),
      rollbackPolicyAction: (p) => [
        ...slugs((slug) => withForm({ orgSlug: slug, serverId: b.serverId, versionId: b.versionId }, p)),
        // A's own server rolled back to B's version would copy B's policy into A.
        {
          who: 'A slug, A server, B version',
          args: withForm({ orgSlug: A.orgSlug, serverId: a.serverId, versionId: b.versionId }, p),
        },
      ],
      savePolicyAction: (p) =>
        slugs((slug) =>
          withForm(
            {
              orgSlug: slug,
              serverId: b.serverId,
              document: JSON.stringify({ version: '1', default: 'deny' }),
            },
            p,
          ),
        ),
      replayPolicyAction: (p) =>
        slugs((slug) =>
          withForm({ orgSlug: slug, serverId: b.serverId, document: JSON.stringify(ALLOW_ALL) }, p),
        ),
      revokeApiKeyAction: (p) => slugs((slug) => withForm({ orgSlug: slug, keyId: b.apiKeyId }, p)),
      // Upstream connections (docs/upstream-oauth.md): B's server and an id that is not A's.
      connectAction: (p) => slugs((slug) => withForm({ orgSlug: slug, serverId: b.serverId }, p)),
      disconnectAction: (p) => slugs((slug) => withForm({ orgSlug: slug, connectionId: b.serverId }, p)),
      createApiKeyAction: (p) => [
        { who: 'B slug', args: withForm({ orgSlug: B.orgSlug, name: 'probe', role: 'admin' }, p) },
      ],
      // OAuth consent: the organization comes from the requested resource (a grant URL); approveConsent
      // checks membership and role there (oauth-authorization.integration.test.ts tries another org's server).
      consentAction: 'not org-scoped',
      revokeAuthorizedClientAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, grantId: b.grantId, clientId: 'pcc_probe' }, p)),
      createChannelAction: (p) => [
        {
          who: 'B slug',
          args: withForm({ orgSlug: B.orgSlug, name: 'probe', kind: 'email', target: 'x@example.test' }, p),
        },
      ],
      updateChannelAction: (p) =>
        slugs((slug) =>
          withForm({ orgSlug: slug, channelId: b.channelId, field: 'trusted', value: 'true' }, p),
        ),
      deleteChannelAction: (p) => slugs((slug) => withForm({ orgSlug: slug, channelId: b.channelId }, p)),
      // Fetches the URL a member typed (sign-in discovery) for the registration form; stores nothing.
      checkSignInAction: () => [{ who: 'B slug', args: [B.orgSlug, 'https://x.example/mcp'] }],
      createExportAction: (p) => [
        {
          who: 'B slug',
          args: withForm(
            { orgSlug: B.orgSlug, name: 'probe', kind: 'https', url: 'https://x.example/in' },
            p,
          ),
        },
      ],
      updateExportAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, exportId: b.exportId, enabled: 'false' }, p)),
      deleteExportAction: (p) => slugs((slug) => withForm({ orgSlug: slug, exportId: b.exportId }, p)),
      setRetentionAction: (p) => [{ who: 'B slug', args: withForm({ orgSlug: B.orgSlug, days: '1' }, p) }],
      setServerAuditContentAction: (p) =>
        slugs((slug) => withForm({ orgSlug: slug, serverId: b.serverId, mode: 'full' }, p)),
      createToolsetAction: (p) =>
        slugs((slug) =>
          withForm(
            {
              orgSlug: slug,
              toolset: JSON.stringify({ name: 'probe', members: [{ serverId: b.serverId }] }),
            },
            p,
          ),
        ),
      updateToolsetAction: (p) => [
        ...slugs((slug) =>
          withForm({ orgSlug: slug, toolsetId: b.toolsetId, toolset: JSON.stringify({ name: 'probe' }) }, p),
        ),
        // B's server into A's own toolset.
        {
          who: 'A slug, A toolset, B server',
          args: withForm(
            {
              orgSlug: A.orgSlug,
              toolsetId: a.toolsetId,
              toolset: JSON.stringify({ members: [{ serverId: b.serverId }] }),
            },
            p,
          ),
        },
      ],
      deleteToolsetAction: (p) => slugs((slug) => withForm({ orgSlug: slug, toolsetId: b.toolsetId }, p)),
      simulateToolsetCallAction: (p) =>
        slugs((slug) =>
          withForm(
            { orgSlug: slug, toolsetId: b.toolsetId, name: 'tw__get_tweet', arguments: '{"tweet_id":"1"}' },
            p,
          ),
        ),
      setToolAuditContentAction: (p) =>
        slugs((slug) =>
          withForm({ orgSlug: slug, serverId: b.serverId, toolName: 'get_tweet', mode: 'full' }, p),
        ),
    };
    function slugs(build: (slug: string) => unknown[]): Case[] {
      return [
        { who: 'B slug, B ids', args: build(B.orgSlug) },
        { who: 'A slug, B ids', args: build(A.orgSlug) },
      ];
    }
    expect(
      [...actions.keys()].filter((name) => !(name in ACTIONS)),
      'server actions without a probe',
    ).toEqual([]);
    const manifest = await import('node:fs').then(
      (fs) =>
        JSON.parse(
          fs.readFileSync(
            path.join(root, 'apps/dashboard/.next/server/server-reference-manifest.json'),
            'utf8',
          ),
        ) as { node: Record<string, { workers: Record<string, unknown> }> },
    );
    // Control: the same encoding with A's own ids works, so the refusals above are the guards' doing.
    const control = await callAction(
      actions.get('createGrantAction')!.id,
      withForm({ orgSlug: A.orgSlug, name: 'control', serverId: a.serverId }, true),
      {
        cookie: A.cookie,
        page: `/o/${A.orgSlug}/grants`,
      },
    );
    expect(control.text).toMatch(/"ok":true/);
    expect(control.text).toMatch(/pcg_/);
    for (const [name, { id }] of actions) {
      const entry = ACTIONS[name];
      if (!entry || entry === 'not org-scoped') continue;
      // Actions used with useActionState take (previous state, form data); the others (form data).
      const prev = [
        'inviteAction',
        'createOrganizationAction',
        'decideApprovalAction',
        'createGrantAction',
        'registerServerAction',
        'syncToolsAction',
        'testConnectionAction',
        'savePolicyAction',
        'replayPolicyAction',
        'createApiKeyAction',
        'revokeAuthorizedClientAction',
        'createChannelAction',
        'removeMemberAction',
        'leaveOrganizationAction',
        'revokeGrantAction',
        'createExportAction',
        'setRetentionAction',
        'createToolsetAction',
        'updateToolsetAction',
        'deleteToolsetAction',
        'saveToolOverrideAction',
        'simulateToolsetCallAction',
      ].includes(name);
      const worker =
        Object.keys(manifest.node[id]!.workers).find((w) => w.includes('[orgSlug]')) ??
        Object.keys(manifest.node[id]!.workers)[0]!;
      for (const c of entry(prev)) {
        await probe(
          'server actions',
          `${name} (${c.who})`,
          () => callAction(id, c.args, { cookie: A.cookie, page: page(worker) }),
          (answer) => answer.status >= 400 || /"ok":false/.test(answer.text),
        );
      }
    }
  }, 300_000);

  it('gateway: A’s grant reaches neither B’s server nor B’s sessions', async () => {
    const g = gatewayUrl();
    const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'probe', version: '1' },
      },
    });
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'get_tweet', arguments: { tweet_id: '1' } },
    });
    const bStreamable = (bSession.transport as unknown as { sessionId: string }).sessionId;
    const asA = { authorization: `Bearer ${a.grantToken}`, ...json };
    const cases: Array<[string, string, RequestInit]> = [
      [
        'initialize on B’s server with A’s token',
        `/mcp/${b.serverId}`,
        { method: 'POST', headers: asA, body: init },
      ],
      [
        'tools/call on B’s server with A’s token',
        `/mcp/${b.serverId}`,
        { method: 'POST', headers: { ...asA, 'mcp-session-id': bStreamable }, body: call },
      ],
      [
        'legacy SSE on B’s server with A’s token',
        `/mcp/${b.serverId}/sse`,
        { method: 'GET', headers: { authorization: `Bearer ${a.grantToken}` } },
      ],
      [
        'B’s SSE session with A’s token',
        `/mcp/${a.serverId}/messages?sessionId=${bSseSessionId}`,
        { method: 'POST', headers: asA, body: call },
      ],
      [
        'B’s SSE session, A’s token in URL',
        `/g/${a.grantToken}/messages?sessionId=${bSseSessionId}`,
        { method: 'POST', headers: json, body: call },
      ],
      [
        'B’s session id on A’s server',
        `/mcp/${a.serverId}`,
        { method: 'POST', headers: { ...asA, 'mcp-session-id': bStreamable }, body: call },
      ],
      [
        'B’s session id, A’s token in URL',
        `/g/${a.grantToken}/mcp`,
        { method: 'POST', headers: { ...json, 'mcp-session-id': bStreamable }, body: call },
      ],
      [
        'B’s session stream with A’s token',
        `/mcp/${a.serverId}`,
        { method: 'GET', headers: { ...asA, 'mcp-session-id': bStreamable } },
      ],
      [
        'DELETE B’s session with A’s token',
        `/mcp/${a.serverId}`,
        { method: 'DELETE', headers: { ...asA, 'mcp-session-id': bStreamable } },
      ],
      [
        'DELETE B’s session, A’s token in URL',
        `/g/${a.grantToken}/mcp`,
        { method: 'DELETE', headers: { ...json, 'mcp-session-id': bStreamable } },
      ],
      [
        'B’s token in the URL of A’s server path',
        `/mcp/${a.serverId}`,
        { method: 'POST', headers: { ...json, authorization: `Bearer ${b.grantToken}` }, body: init },
      ],
    ];
    const before = readCallLog(b.logFile).length;
    for (const [name, url, init] of cases) {
      await probe(
        'gateway',
        name,
        async () => {
          const res = await fetch(`${g}${url}`, { ...init, signal: AbortSignal.timeout(10_000) });
          return { status: res.status, headers: res.headers, text: await res.text(), setCookies: [] };
        },
        (answer) => answer.status === 404,
      );
    }
    // A's own calls reach A's upstream only.
    const agent = await connect(g, a.serverId, a.grantToken);
    await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: '2' } });
    await agent.close();
    const reachedB = readCallLog(b.logFile).length - before;
    records.push({
      area: 'gateway',
      probe: 'A’s calls in B’s upstream call log',
      status: reachedB,
      read: false,
      write: reachedB !== 0,
    });
    // B's sessions were not disturbed.
    const bLogged = readCallLog(b.logFile).length;
    const still = await bSession.callTool({ name: 'get_tweet', arguments: { tweet_id: '3' } });
    expect(JSON.stringify(still)).not.toMatch(/Denied by policy|Rate limited/);
    expect(readCallLog(b.logFile).length).toBe(bLogged + 1);
  }, 120_000);

  it('found 0 cross-tenant reads and 0 writes', () => {
    const bad = records.filter((r) => r.read || r.write);
    expect(bad).toEqual([]);
    expect(records.length).toBeGreaterThan(100);
  });
});
