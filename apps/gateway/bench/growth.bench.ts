// `npm run bench growth`: how the gateway's cost per call grows, one dimension at a time, on a
// real PostgreSQL. Each step measures the gateway's own code for that dimension in this process
// (process CPU per operation, and wall time for the store round trips), so a cost that grows with
// anything but the message's own size shows up as a rising column:
//   - tools in the catalog (10 → 1,000 → 10,000): the per-second server-state reload (every call
//     after the cache's second waits on it), the tools/call decision, the tools/list filter;
//   - rules with argument conditions in the policy (1 → 500): compile once, decide per call;
//   - grants per organization (1 → 10,000): the grant lookup of a call (cold: one indexed read;
//     warm: the cache), and a change event's cache invalidation;
//   - organizations (1 → 1,000): the same lookup and a server-state load for one tenant among many;
//   - audit rows (BENCH_AUDIT_ROWS, default 1M then 3M): a committed audit insert's latency, and
//     the audit page's first-page query p95, after seeding with generate_series.
// Short rounds (BENCH_GROWTH_CALLS, default 2,000 decisions per step) keep it cheap on a shared machine.
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import type { ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { toolDefinitionHash } from '@portcullis/catalog/sync-server-tools';
import { issueToken } from '@portcullis/crypto/tokens';
import { createPrismaClient } from '@portcullis/db/client';
import { compilePolicy } from '@portcullis/policy/compile';
import { decideToolCall } from '@portcullis/policy/decide';
import type { PolicyDocument, ToolRule } from '@portcullis/policy/types';
import pg from 'pg';
import { AuditWriter } from '../src/audit/audit-writer.ts';
import type { AuditRecord } from '../src/audit/audit-types.ts';
import { filterListedTools } from '../src/calls/list-tools.ts';
import { GrantCache } from '../src/state/grant-cache.ts';
import { ServerStateCache, type ServerState } from '../src/state/server-state.ts';
import { percentile } from './stats.ts';

const env = process.env;
const url = env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL (npm run bench growth makes a database of its own)');
const CALLS = Number(env.BENCH_GROWTH_CALLS ?? 2_000);
const AUDIT_STEPS = (env.BENCH_AUDIT_ROWS ?? '1000000,3000000').split(',').map(Number).filter(Boolean);
const db = createPrismaClient(url, { max: 4 });
const pool = new pg.Pool({ connectionString: url, max: 4 });

/** CPU (user + system) per operation in µs, and wall time per operation in ms, over `n` runs of fn. */
async function perOp(n: number, fn: (i: number) => unknown): Promise<{ cpuUs: number; wallMs: number }> {
  for (let i = 0; i < Math.min(n, 200); i++) await fn(i); // warm-up for the JIT and the pool
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / n, wallMs: wall / n };
}

/** The same, synchronously (decisions and filters: no await in the loop). */
function perOpSync(n: number, fn: (i: number) => unknown): number {
  let sink = 0;
  for (let i = 0; i < Math.min(n, 500); i++) sink += fn(i) ? 1 : 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) sink += fn(i) ? 1 : 0;
  const cpu = process.cpuUsage(cpu0);
  if (sink < 0) console.log(sink);
  return (cpu.user + cpu.system) / n;
}

const f = (v: number, d = 1) => v.toFixed(d);
const table = (head: string[], rows: Array<Array<string | number>>) => {
  console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
};

async function organization(name: string) {
  return db.organization.create({ data: { name, slug: `${name}-${randomUUID().slice(0, 8)}` } });
}

function liveTool(i: number): Tool {
  return {
    name: `tool_${i}`,
    description: `Tool number ${i}.`,
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  };
}

/** A server with `count` approved tools, a policy over them and one grant. */
async function serverWithTools(orgId: string, count: number, policy: PolicyDocument) {
  const server = await db.mcpServer.create({
    data: {
      organizationId: orgId,
      name: `s-${count}-${randomUUID().slice(0, 6)}`,
      transport: 'streamable_http',
      url: 'http://127.0.0.1:9/mcp',
    },
  });
  const rows = [];
  for (let i = 0; i < count; i++) {
    const hash = toolDefinitionHash(liveTool(i));
    rows.push({
      organizationId: orgId,
      serverId: server.id,
      name: `tool_${i}`,
      description: `Tool number ${i}.`,
      inputSchema: liveTool(i).inputSchema as object,
      definitionHash: hash,
      approvedHash: hash,
      pinState: 'approved' as const,
      riskCategory: 'read' as const,
      riskSeverity: 'low' as const,
      riskWhy: 'bench',
    });
  }
  for (let i = 0; i < rows.length; i += 2_000) await db.tool.createMany({ data: rows.slice(i, i + 2_000) });
  await db.policyVersion.create({
    data: {
      organizationId: orgId,
      serverId: server.id,
      version: 1,
      active: true,
      document: policy as object,
    },
  });
  return server;
}

async function toolsDimension(): Promise<void> {
  console.log('\n## Tools in the catalog (one server; policy: allow @read, one limited tool)');
  const org = await organization('growth-tools');
  const policy: PolicyDocument = {
    version: '1',
    default: 'deny',
    tools: { '@read': { action: 'allow' }, tool_1: { limits: [{ window: 'minute', max: 1000 }] } },
  };
  const rows = [];
  for (const count of [10, 1_000, 10_000]) {
    const server = await serverWithTools(org.id, count, policy);
    const cache = new ServerStateCache(db, 1_000);
    const reload = await perOp(count >= 10_000 ? 10 : 30, () => cache.loadFresh(server.id));
    const state = (await cache.load(server.id)) as ServerState;
    const decide = perOpSync(CALLS * 10, (i) =>
      decideToolCall(state.policy, state.tools.get(`tool_${i % count}`), {
        tool: `tool_${i % count}`,
        args: { text: 'x' },
      }),
    );
    const listed: ListToolsResult = { tools: Array.from({ length: count }, (_, i) => liveTool(i)) };
    const list = perOpSync(count >= 10_000 ? 20 : count >= 1_000 ? 200 : 2_000, () =>
      filterListedTools(state, listed),
    );
    const visible = filterListedTools(state, listed).result.tools.length;
    rows.push([
      count,
      f(reload.wallMs, 2),
      f(reload.cpuUs / 1000, 2),
      f(decide, 2),
      f(list / 1000, 3),
      f(list / count, 2),
      visible,
    ]);
  }
  table(
    [
      'tools',
      'state reload wall ms (once a second)',
      'state reload CPU ms',
      'tools/call decision CPU µs',
      'tools/list filter CPU ms',
      'per listed tool µs',
      'tools listed',
    ],
    rows,
  );
}

async function rulesDimension(): Promise<void> {
  console.log('\n## Rules and argument conditions in the policy');
  const rows = [];
  for (const count of [1, 50, 500]) {
    const tools: Record<string, ToolRule> = {};
    for (let i = 0; i < count; i++)
      tools[`tool_${i}`] = {
        action: 'allow',
        conditions: [
          { when: { arg: 'text', regex: `(?i)forbidden_${i}` }, action: 'deny', reason: 'no' },
          {
            when: [
              { arg: 'count', lte: 50 },
              { arg: 'lang', in: ['en', 'fr'] },
            ],
            action: 'allow',
          },
        ],
      };
    const t0 = process.cpuUsage();
    const compiled = compilePolicy({ version: '1', default: 'deny', tools });
    const c = process.cpuUsage(t0);
    const active = { ok: true as const, version: 1, compiled };
    const catalog = {
      present: true,
      pinState: 'approved' as const,
      risk: 'read' as const,
      approvedHash: 'h',
      id: 't',
    };
    const args = { text: 'hello there', count: 10, lang: 'en' };
    // The last rule (worst case for a scan) and a rule in the middle.
    const last = perOpSync(CALLS * 10, () =>
      decideToolCall(active, catalog as never, { tool: `tool_${count - 1}`, args }),
    );
    const mid = perOpSync(CALLS * 10, () =>
      decideToolCall(active, catalog as never, { tool: `tool_${Math.floor(count / 2)}`, args }),
    );
    rows.push([count, count * 2, f((c.user + c.system) / 1000, 1), f(mid, 2), f(last, 2)]);
  }
  table(
    [
      'rules',
      'argument conditions',
      'compile CPU ms (once per version)',
      'decision CPU µs (middle rule)',
      'decision CPU µs (last rule)',
    ],
    rows,
  );
}

async function grantsDimension(): Promise<void> {
  console.log('\n## Grants per organization (one server)');
  const org = await organization('growth-grants');
  const server = await db.mcpServer.create({
    data: {
      organizationId: org.id,
      name: 'grants',
      transport: 'streamable_http',
      url: 'http://127.0.0.1:9/mcp',
    },
  });
  const rows = [];
  let have = 0;
  let probe = '';
  for (const count of [1, 100, 10_000]) {
    const batch = [];
    for (; have < count; have++) {
      const token = issueToken('grant');
      if (have === 0) probe = token.token;
      batch.push({
        organizationId: org.id,
        serverId: server.id,
        name: `g${have}`,
        tokenHash: token.hash,
        tokenPrefix: token.prefix,
      });
    }
    for (let i = 0; i < batch.length; i += 5_000)
      await db.grant.createMany({ data: batch.slice(i, i + 5_000) });
    await pool.query('ANALYZE grants');
    const cold = await perOp(200, () => new GrantCache(db, 1_000).authenticate(probe));
    const warmCache = new GrantCache(db, 60_000);
    const warm = await perOp(CALLS, () => warmCache.authenticate(probe));
    // A grant change event walks the cached entries: fill the cache with every grant's entry first.
    const full = new GrantCache(db, 60_000);
    const hashes = (
      await db.grant.findMany({ where: { organizationId: org.id }, select: { tokenHash: true } })
    ).map((g) => g.tokenHash);
    for (const h of hashes)
      (full as unknown as { byHash: Map<string, unknown> }).byHash.set(h, {
        hash: h,
        grantId: h,
        row: { serverId: server.id },
        loadedAt: Date.now(),
      });
    const invalidate = perOpSync(200, () => full.invalidateGrant('none'));
    rows.push([count, f(cold.wallMs, 2), f(cold.cpuUs, 0), f(warm.cpuUs, 1), f(invalidate, 1)]);
  }
  table(
    [
      'grants in the org',
      'cold lookup wall ms',
      'cold lookup CPU µs',
      'cached lookup CPU µs (per call)',
      'grant change event CPU µs (all cached)',
    ],
    rows,
  );
}

async function orgsDimension(): Promise<void> {
  console.log('\n## Organizations (one server and grant each, 10 tools each)');
  const rows = [];
  let have = 0;
  let probe: { serverId: string; token: string } | undefined;
  const policy: PolicyDocument = { version: '1', default: 'deny', tools: { '@read': { action: 'allow' } } };
  for (const count of [1, 100, 1_000]) {
    // Seeded in SQL for speed (generate_series): organizations, servers, grants, tools.
    const add = count - have;
    if (add > 0) {
      const tag = randomBytes(4).toString('hex');
      await pool.query(
        `INSERT INTO organizations (id, name, slug, "updatedAt") SELECT 'o${tag}' || i, 'org ' || i, 'org-${tag}-' || i, now() FROM generate_series(1, $1) i`,
        [add],
      );
      await pool.query(
        `INSERT INTO mcp_servers (id, "organizationId", name, transport, url, "updatedAt") SELECT 's${tag}' || i, 'o${tag}' || i, 'srv', 'streamable_http', 'http://127.0.0.1:9/mcp', now() FROM generate_series(1, $1) i`,
        [add],
      );
      await pool.query(
        `INSERT INTO grants (id, "organizationId", "serverId", name, "tokenHash", "tokenPrefix") SELECT 'g${tag}' || i, 'o${tag}' || i, 's${tag}' || i, 'g', md5('${tag}' || i), 'p' FROM generate_series(1, $1) i`,
        [add],
      );
      await pool.query(
        `INSERT INTO tools (id, "organizationId", "serverId", name, "inputSchema", "definitionHash", "approvedHash", "riskCategory", "riskSeverity", "riskWhy", "updatedAt")
         SELECT 't${tag}' || i || '_' || j, 'o${tag}' || i, 's${tag}' || i, 'tool_' || j, '{}'::jsonb, 'h', 'h', 'read', 'low', 'bench', now()
         FROM generate_series(1, $1) i, generate_series(1, 10) j`,
        [add],
      );
      await pool.query(
        `INSERT INTO policy_versions (id, "organizationId", "serverId", version, active, document) SELECT 'p${tag}' || i, 'o${tag}' || i, 's${tag}' || i, 1, true, $2::jsonb FROM generate_series(1, $1) i`,
        [add, JSON.stringify(policy)],
      );
      have = count;
      await pool.query('ANALYZE');
    }
    if (!probe) {
      const o = await organization('growth-orgs-probe');
      const token = issueToken('grant');
      const s = await serverWithTools(o.id, 10, policy);
      await db.grant.create({
        data: {
          organizationId: o.id,
          serverId: s.id,
          name: 'probe',
          tokenHash: token.hash,
          tokenPrefix: token.prefix,
        },
      });
      probe = { serverId: s.id, token: token.token };
    }
    const p = probe;
    const cold = await perOp(200, () => new GrantCache(db, 1_000).authenticate(p.token));
    const cache = new ServerStateCache(db, 1_000);
    const reload = await perOp(100, () => cache.loadFresh(p.serverId));
    rows.push([count + 1, f(cold.wallMs, 2), f(cold.cpuUs, 0), f(reload.wallMs, 2), f(reload.cpuUs, 0)]);
  }
  table(
    [
      'organizations',
      'grant lookup wall ms',
      'grant lookup CPU µs',
      'server state load wall ms',
      'server state load CPU µs',
    ],
    rows,
  );
}

function auditRecordFor(orgId: string, i: number): AuditRecord {
  return {
    organizationId: orgId,
    grantId: null,
    serverId: null,
    toolName: 'echo',
    method: 'tools/call',
    decision: 'allow',
    ruleId: 'echo',
    policyVersion: 1,
    reason: null,
    arguments: { text: `hmac:${i}` },
    argumentsRedacted: true,
    approvalId: null,
    sessionId: 's',
    requestId: String(i),
    upstreamOutcome: 'pending',
    createdAt: new Date(),
  };
}

async function auditDimension(): Promise<void> {
  console.log('\n## Audit rows (one organization; generate_series seeding)');
  const org = await organization('growth-audit');
  const server = await db.mcpServer.create({
    data: {
      organizationId: org.id,
      name: 'audit',
      transport: 'streamable_http',
      url: 'http://127.0.0.1:9/mcp',
    },
  });
  const writer = new AuditWriter(pool, (error) => console.log(`audit writer: ${String(error)}`));
  const rows = [];
  let have = 0;
  for (const target of AUDIT_STEPS) {
    const t0 = performance.now();
    const decisions = ['allow', 'deny', 'rate_limited', 'require_approval'];
    // Seeded in slices so one statement's WAL and memory stay bounded on a shared machine.
    for (let from = have + 1; from <= target; from += 500_000) {
      const to = Math.min(target, from + 499_999);
      await pool.query(
        `INSERT INTO audit_events (id, "organizationId", "serverId", "toolName", method, decision, "ruleId", "policyVersion", arguments, "argumentsRedacted", "upstreamOutcome", "latencyMs", "createdAt")
         SELECT 'a' || i, $1, $2, 'tool_' || (i % 50), 'tools/call', ($3::text[])[1 + i % 4]::"Decision", 'r', 1, '{}'::jsonb, true, 'ok', 1.5,
                now() - (i || ' seconds')::interval
         FROM generate_series($4::int, $5::int) i`,
        [org.id, server.id, decisions, from, to],
      );
    }
    have = target;
    await pool.query('ANALYZE audit_events');
    const seedS = (performance.now() - t0) / 1000;
    const inserts: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      await writer.insert(auditRecordFor(org.id, i));
      if (i >= 50) inserts.push(performance.now() - s);
    }
    inserts.sort((a, b) => a - b);
    // The audit page's first page: newest events of the organization (its index on organizationId, createdAt).
    const page: number[] = [];
    const filtered: number[] = [];
    for (let i = 0; i < 40; i++) {
      let s = performance.now();
      await pool.query(
        `SELECT id, "toolName", decision, "createdAt" FROM audit_events WHERE "organizationId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT 50`,
        [org.id],
      );
      page.push(performance.now() - s);
      s = performance.now();
      await pool.query(
        `SELECT id, "toolName", decision, "createdAt" FROM audit_events WHERE "organizationId" = $1 AND decision = 'deny' AND "toolName" = $2 ORDER BY "createdAt" DESC, id DESC LIMIT 50`,
        [org.id, `tool_${i % 50}`],
      );
      filtered.push(performance.now() - s);
    }
    page.sort((a, b) => a - b);
    filtered.sort((a, b) => a - b);
    rows.push([
      target.toLocaleString('en'),
      f(seedS, 0),
      f(percentile(inserts, 50), 2),
      f(percentile(inserts, 95), 2),
      f(percentile(page, 50), 2),
      f(percentile(page, 95), 2),
      f(percentile(filtered, 95), 2),
    ]);
  }
  await writer.close();
  table(
    [
      'audit rows',
      'seed s',
      'insert p50 ms',
      'insert p95 ms',
      'first page p50 ms',
      'first page p95 ms',
      'filtered page (decision + tool) p95 ms',
    ],
    rows,
  );
}

const only = env.BENCH_GROWTH_ONLY?.split(',');
console.log(
  `How cost grows: ${CALLS} decisions per step; Node ${process.version}, ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (a shared machine: CPU per operation is the figure to read, wall times move with the load)`,
);
const dims: Array<[string, () => Promise<void>]> = [
  ['tools', toolsDimension],
  ['rules', rulesDimension],
  ['grants', grantsDimension],
  ['orgs', orgsDimension],
  ['audit', auditDimension],
];
try {
  for (const [name, run] of dims) if (!only || only.includes(name)) await run();
} finally {
  await pool.end();
  await db.$disconnect();
}
