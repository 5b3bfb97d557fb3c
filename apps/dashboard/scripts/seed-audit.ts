// Seeds N audit events (default 1,000,000) for one organization in a single INSERT … SELECT
// generate_series, then benchmarks the audit page's server queries (first page, filtered pages,
// a deep page) and prints p50/p95.
//   DATABASE_URL=postgres://… node --import tsx apps/dashboard/scripts/seed-audit.ts [--rows 1000000] [--bench-only]
import { parseArgs } from 'node:util';
import { createPrismaClient } from '@portcullis/db/client';
import type { OrgContext } from '../src/server/context.ts';
import {
  auditChart,
  auditFilterOptions,
  listAuditEvents,
  type AuditFilter,
} from '../src/modules/audit/audit.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'bench-only': { type: 'boolean', default: false },
    runs: { type: 'string', default: '40' },
  },
});
// Scripts are outside the app's env.ts; this one needs only the database URL.
// eslint-disable-next-line no-restricted-properties
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL');
const db = createPrismaClient(url, { max: 4 });
const SLUG = 'audit-bench';

async function ensureOrg() {
  const org = await db.organization.upsert({
    where: { slug: SLUG },
    update: {},
    create: { slug: SLUG, name: 'Audit bench' },
  });
  let server = await db.mcpServer.findFirst({ where: { organizationId: org.id } });
  server ??= await db.mcpServer.create({
    data: { organizationId: org.id, name: 'Bench server', transport: 'stdio', command: 'node' },
  });
  const grants = await db.grant.findMany({ where: { organizationId: org.id } });
  while (grants.length < 5) {
    grants.push(
      await db.grant.create({
        data: {
          organizationId: org.id,
          serverId: server.id,
          name: `bench-${grants.length}`,
          tokenHash: `bench-${org.id}-${grants.length}`,
          tokenPrefix: 'pcg_bench',
        },
      }),
    );
  }
  return { org, server, grants };
}

async function seed(orgId: string, serverId: string, grantIds: string[], rows: number) {
  const started = Date.now();
  await db.$executeRawUnsafe(
    `INSERT INTO audit_events (id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId", "policyVersion",
        "upstreamOutcome", "latencyMs", "createdAt", "completedAt")
     SELECT 'bench' || lpad(i::text, 10, '0'), $1, ($3::text[])[1 + (i % 5)], $2,
        (ARRAY['get_tweet','search_tweet','leave_community','send_tweet','delete_tweet','get_user','follow_user','like_tweet'])[1 + (i % 8)],
        'tools/call',
        (CASE WHEN i % 20 = 0 THEN 'deny' WHEN i % 33 = 0 THEN 'rate_limited' WHEN i % 97 = 0 THEN 'require_approval' ELSE 'allow' END)::"Decision",
        '/tools/@read', 1, 'ok', (i % 500) / 10.0,
        now() - make_interval(secs => i * 2.592), now() - make_interval(secs => i * 2.592)
     FROM generate_series(1, $4) AS i
     ON CONFLICT (id) DO NOTHING`,
    orgId,
    serverId,
    grantIds,
    rows,
  );
  await db.$executeRawUnsafe('ANALYZE audit_events');
  console.log(
    `Seeded ${rows.toLocaleString()} audit events over 30 days in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function bench(name: string, runs: number, fn: () => Promise<unknown>) {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(46)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(times, 95).toFixed(1).padStart(7)} ms   (n=${runs})`,
  );
}

async function main() {
  const { org, server, grants } = await ensureOrg();
  const existing = await db.auditEvent.count({ where: { organizationId: org.id } });
  const rows = Number(values.rows);
  if (!values['bench-only'] && existing < rows)
    await seed(
      org.id,
      server.id,
      grants.map((g) => g.id),
      rows,
    );
  console.log(
    `Organization ${SLUG}: ${(await db.auditEvent.count({ where: { organizationId: org.id } })).toLocaleString()} audit events`,
  );
  const ctx: OrgContext = {
    organizationId: org.id,
    orgSlug: SLUG,
    orgName: org.name,
    role: 'viewer',
    actor: { kind: 'user', id: 'bench', label: 'bench' },
  };
  const runs = Number(values.runs);
  // What the audit page awaits for one response: the table page, the chart, the filter options.
  const page = (filter: AuditFilter, cursor?: string | null) =>
    Promise.all([
      listAuditEvents(db, ctx, filter, { cursor, limit: 50 }),
      auditChart(db, ctx, filter),
      auditFilterOptions(db, ctx),
    ]);
  await bench('audit page: first page, no filter', runs, () => page({}));
  await bench('audit page: decision = deny', runs, () => page({ decision: 'deny' }));
  await bench('audit page: tool = leave_community', runs, () => page({ tool: 'leave_community' }));
  await bench('audit page: grant + decision = rate_limited', runs, () =>
    page({ grant: grants[0]!.id, decision: 'rate_limited' }),
  );
  const week = { from: new Date(Date.now() - 14 * 86_400_000), to: new Date(Date.now() - 7 * 86_400_000) };
  await bench('audit page: time range (one week, 2 weeks ago)', runs, () => page(week));
  let cursor: string | null = null;
  for (let i = 0; i < 20; i += 1)
    cursor = (await listAuditEvents(db, ctx, {}, { cursor, limit: 50 })).nextCursor;
  await bench('audit table: page 21 via cursor', runs, () =>
    listAuditEvents(db, ctx, {}, { cursor, limit: 50 }),
  );
  await db.$disconnect();
}

main().catch(async (error: unknown) => {
  console.error(error);
  await db.$disconnect();
  process.exit(1);
});
