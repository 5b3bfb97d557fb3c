// Issue #8, "secrets": a user registers servers with secret headers and env through the dashboard's
// own form action, creates a grant and an API key the same way, and uses them all (gateway calls
// with the token in the header and in the URL, REST calls, a sign-in with a wrong password). Then:
// every table is read raw and must hold none of those values (headers and env only encrypted,
// tokens and keys only as hashes); every log line the processes of this run printed is searched for
// them; and every page, RSC payload and API answer about that server is searched for them too.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hashToken } from '@portcullis/crypto/tokens';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCallLog, tempFile, testDb } from '../../apps/gateway/test/harness.ts';
import { connect } from './support/agents.ts';
import { callAction, form, request, serverActions, signIn, type HttpAnswer } from './support/dashboard.ts';
import { sleep } from './support/processes.ts';
import { writeResult } from './support/results.ts';
import { newTenant, type Tenant } from './support/tenants.ts';

let S: Tenant;
let stdioServerId: string;
let httpServerId: string;
let grantToken: string;
let apiKey: string;
const logFile = tempFile('twikit-calls.jsonl');
// Values no other part of the suite uses, so a hit can only come from here.
const secretEnv = `env-secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const secretHeader = `header-secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const figures: Record<string, unknown> = {};

function secrets(): Record<string, string> {
  return {
    'env value': secretEnv,
    'header value': secretHeader,
    'grant token': grantToken,
    'API key': apiKey,
    password: S.password,
  };
}

/** Each secret, and its base64 (an encoding that would hide a plain copy from a naive search). */
function findSecrets(text: string): string[] {
  const hits: string[] = [];
  for (const [name, value] of Object.entries(secrets())) {
    if (text.includes(value)) hits.push(name);
    else if (text.includes(Buffer.from(value).toString('base64').slice(0, 24))) hits.push(`${name} (base64)`);
  }
  return hits;
}

beforeAll(async () => {
  S = await newTenant('s');
  const actions = serverActions();
  const page = `/o/${S.orgSlug}/servers`;
  // Through the register form's action, as the browser posts it.
  const stdio = form({
    orgSlug: S.orgSlug,
    name: 'Twikit with secrets',
    transport: 'stdio',
    stdioTemplate: 'twikit',
    args: ['--log-file', logFile].join('\n'),
  });
  stdio.append('envName', 'TWIKIT_API_SECRET');
  stdio.append('envValue', secretEnv);
  const registered = await callAction(actions.get('registerServerAction')!.id, [null, stdio], {
    cookie: S.cookie,
    page,
  });
  expect(registered.status).toBeLessThan(400);
  const http = form({
    orgSlug: S.orgSlug,
    name: 'HTTP with secret header',
    transport: 'streamable_http',
    url: process.env.RELIABILITY_TWIKIT_URL!,
  });
  http.append('headerName', 'Authorization');
  http.append('headerValue', `Bearer ${secretHeader}`);
  expect(
    (await callAction(actions.get('registerServerAction')!.id, [null, http], { cookie: S.cookie, page }))
      .status,
  ).toBeLessThan(400);
  const servers = await testDb().mcpServer.findMany({ where: { organizationId: S.ctx.organizationId } });
  stdioServerId = servers.find((s) => s.transport === 'stdio')!.id;
  httpServerId = servers.find((s) => s.transport === 'streamable_http')!.id;

  // Sync both (the dashboard connects to each upstream with its secrets) and set a policy.
  for (const serverId of [stdioServerId, httpServerId]) {
    await callAction(actions.get('syncToolsAction')!.id, [null, form({ orgSlug: S.orgSlug, serverId })], {
      cookie: S.cookie,
      page: `/o/${S.orgSlug}/servers/${serverId}`,
    });
    await callAction(
      actions.get('savePolicyAction')!.id,
      [
        null,
        form({ orgSlug: S.orgSlug, serverId, document: JSON.stringify({ version: '1', default: 'allow' }) }),
      ],
      {
        cookie: S.cookie,
        page: `/o/${S.orgSlug}/servers/${serverId}/policy`,
      },
    );
  }

  // A grant and an API key, shown once in the action's answer.
  const grant = await callAction(
    actions.get('createGrantAction')!.id,
    [null, form({ orgSlug: S.orgSlug, name: 'agent', serverId: stdioServerId })],
    { cookie: S.cookie, page: `/o/${S.orgSlug}/grants` },
  );
  grantToken = /pcg_[A-Za-z0-9_-]{40,}/.exec(grant.text)![0];
  const key = await callAction(
    actions.get('createApiKeyAction')!.id,
    [null, form({ orgSlug: S.orgSlug, name: 'ci', role: 'editor' })],
    { cookie: S.cookie, page: `/o/${S.orgSlug}/settings/api-keys` },
  );
  apiKey = /pck_[A-Za-z0-9_-]{40,}/.exec(key.text)![0];

  // Use everything, including paths that fail and log.
  const gateway = process.env.RELIABILITY_GATEWAY_URL!;
  const agent = await connect(gateway, stdioServerId, grantToken);
  await agent.callTool({ name: 'get_timeline', arguments: { count: 1 } });
  await agent.close();
  const init = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
  });
  const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  await fetch(`${gateway}/g/${grantToken}/mcp`, { method: 'POST', headers: mcpHeaders, body: init });
  await fetch(`${gateway}/g/${grantToken}x/mcp`, { method: 'POST', headers: mcpHeaders, body: init });
  await fetch(`${gateway}/g/${grantToken}/nope`, { method: 'POST', headers: mcpHeaders, body: '{' });
  await fetch(`${gateway}/mcp/${httpServerId}`, {
    method: 'POST',
    headers: { ...mcpHeaders, authorization: `Bearer ${grantToken}` },
    body: init,
  });
  await fetch(`${gateway}/mcp/${stdioServerId}`, {
    method: 'POST',
    headers: { ...mcpHeaders, authorization: `Bearer ${grantToken}`, 'mcp-session-id': 'nope' },
    body: '{"jsonrpc":"2.0","id":2,"method":"ping"}',
  });
  await request(`/api/v1/servers/${stdioServerId}`, { headers: { authorization: `Bearer ${apiKey}` } });
  await request('/api/v1/grants', {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: '{"name":',
  });
  await request('/api/v1/servers', { headers: { authorization: `Bearer ${apiKey}x` } });
  await signIn(S.email, `${S.password}wrong`);
  await signIn(S.email, S.password);
  await sleep(500); // let the processes' log lines land
}, 180_000);

afterAll(() => writeResult('secrets', figures));

describe('secrets', () => {
  it('are stored encrypted (headers, env) or hashed (grant tokens, API keys, passwords), nowhere in plain', async () => {
    const db = testDb();
    const tables = await db.$queryRawUnsafe<Array<{ tablename: string }>>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    const hits: string[] = [];
    let rows = 0;
    for (const { tablename } of tables) {
      const dump = await db.$queryRawUnsafe<Array<{ row: string }>>(
        `SELECT t::text AS row FROM "${tablename}" t`,
      );
      rows += dump.length;
      for (const { row } of dump) for (const hit of findSecrets(row)) hits.push(`${tablename}: ${hit}`);
    }
    const raw = await db.$queryRawUnsafe<
      Array<{
        id: string;
        secretEnvEnc: string | null;
        secretHeadersEnc: string | null;
        secretEnvNames: string[];
        secretHeaderNames: string[];
      }>
    >(
      `SELECT id, "secretEnvEnc", "secretHeadersEnc", "secretEnvNames", "secretHeaderNames" FROM mcp_servers WHERE id = ANY($1)`,
      [stdioServerId, httpServerId],
    );
    const stdioRow = raw.find((r) => r.id === stdioServerId)!;
    const httpRow = raw.find((r) => r.id === httpServerId)!;
    const grant = await db.grant.findFirstOrThrow({ where: { organizationId: S.ctx.organizationId } });
    const key = await db.apiKey.findFirstOrThrow({
      where: { organizationId: S.ctx.organizationId, name: 'ci' },
    });
    const user = await db.user.findUniqueOrThrow({ where: { id: S.userId } });
    figures.atRest = {
      tables: tables.length,
      rowsSearched: rows,
      plaintextHits: hits,
      envStored: stdioRow.secretEnvEnc
        ? `encrypted (${stdioRow.secretEnvEnc.length} chars), names only in clear: ${stdioRow.secretEnvNames.join(', ')}`
        : 'missing',
      headersStored: httpRow.secretHeadersEnc
        ? `encrypted (${httpRow.secretHeadersEnc.length} chars), names only in clear: ${httpRow.secretHeaderNames.join(', ')}`
        : 'missing',
      grantTokenStored: grant.tokenHash === hashToken(grantToken) ? 'SHA-256 hash' : 'unexpected',
      apiKeyStored: key.keyHash === hashToken(apiKey) ? 'SHA-256 hash' : 'unexpected',
      passwordStored: user.passwordHash?.startsWith('$argon2id$') ? 'argon2id hash' : 'unexpected',
    };
    expect(hits).toEqual([]);
    expect(stdioRow.secretEnvEnc).toBeTruthy();
    expect(httpRow.secretHeadersEnc).toBeTruthy();
    expect(figures.atRest).toMatchObject({
      grantTokenStored: 'SHA-256 hash',
      apiKeyStored: 'SHA-256 hash',
      passwordStored: 'argon2id hash',
    });
    // And the encrypted env did reach the upstream that needed it: the call went through.
    expect(readCallLog(logFile).some((c) => c.tool === 'get_timeline')).toBe(true);
  });

  it('appear in no log line of this run', () => {
    const dir = process.env.RELIABILITY_LOGS!;
    const hits: string[] = [];
    let lines = 0;
    const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      lines += text.split('\n').length;
      for (const hit of findSecrets(text)) hits.push(`${file}: ${hit}`);
    }
    figures.logs = { files, lines, hits };
    expect(files).toContain('stack.log');
    expect(hits).toEqual([]);
  });

  it('are never sent to the browser', async () => {
    const pages = [
      `/o/${S.orgSlug}/servers`,
      `/o/${S.orgSlug}/servers/${stdioServerId}`,
      `/o/${S.orgSlug}/servers/${httpServerId}`,
      `/o/${S.orgSlug}/servers/${stdioServerId}/policy`,
      `/o/${S.orgSlug}/servers/${httpServerId}/policy`,
      `/o/${S.orgSlug}/grants`,
      `/o/${S.orgSlug}/settings/api-keys`,
      `/o/${S.orgSlug}/audit`,
      `/o/${S.orgSlug}/trail`,
      `/o/${S.orgSlug}/audit/export?format=jsonl`,
    ];
    const answers: Array<[string, HttpAnswer]> = [];
    for (const page of pages) {
      answers.push([page, await request(page, { cookie: S.cookie })]);
      const rsc = await request(page, { cookie: S.cookie, headers: { rsc: '1' } });
      const location = rsc.headers.get('location');
      answers.push([
        `${page} (RSC)`,
        location ? await request(location, { cookie: S.cookie, headers: { rsc: '1' } }) : rsc,
      ]);
    }
    for (const api of [
      `/api/v1/servers`,
      `/api/v1/servers/${stdioServerId}`,
      `/api/v1/servers/${httpServerId}`,
      `/api/v1/grants`,
      `/api/v1/audit`,
    ]) {
      answers.push([api, await request(api, { headers: { authorization: `Bearer ${apiKey}` } })]);
    }
    const hits = answers.flatMap(([page, answer]) =>
      findSecrets(answer.text).map((hit) => `${page}: ${hit}`),
    );
    const bytes = answers.reduce((n, [, a]) => n + a.text.length, 0);
    figures.browser = {
      responses: answers.length,
      bytes,
      statuses: [...new Set(answers.map(([, a]) => a.status))],
      hits,
    };
    expect(answers.every(([, a]) => a.status === 200)).toBe(true);
    // The server page shows that secrets are set (by name), just not their values.
    expect(answers.find(([p]) => p === `/o/${S.orgSlug}/servers/${stdioServerId}`)![1].text).toContain(
      'TWIKIT_API_SECRET',
    );
    expect(hits).toEqual([]);
  });
});
