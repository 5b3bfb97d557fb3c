// The overview page's queries over a large audit table: seeds N events (default 10,000,000) for one
// organization over the last 30 days, in 1M-row INSERT … SELECT generate_series chunks, then prints
// the overview's p50/p95 per range read straight from audit_events (before any rollup), the rollup
// job's time to catch up, and the p50/p95 per range with rollups (what the page does).
//   DATABASE_URL=postgres://… node --import tsx apps/dashboard/scripts/overview-bench.ts [--rows 10000000] [--runs 20]
import { parseArgs } from 'node:util';
import { createPrismaClient } from '@portcullis/db/client';
import type { OrgContext } from '../src/server/context.ts';
import { overview, RANGES, type RangeKey } from '../src/modules/overview/overview.ts';
import { rollUp } from '../src/modules/overview/rollup.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '10000000' }, runs: { type: 'string', default: '20' } },
});
// Scripts are outside the app's env.ts; this one needs only the database URL.
// eslint-disable-next-line no-restricted-properties
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL (npm run bench overview makes a database of its own)');
const db = createPrismaClient(url, { max: 4 });
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const CHUNK = 1_000_000;
const SPAN_S = 30 * 86_400;

async function seed(): Promise<OrgContext> {
  const existing = await db.organization.findUnique({ where: { slug: 'overview-bench' } });
  if (existing) {
    // A rerun on the same database (DATABASE_URL kept): the events stay, the rollups start over.
    await db.$executeRawUnsafe('TRUNCATE audit_rollups, audit_rollup_state');
    console.log('Reusing the seeded events; rollups cleared');
    return context(existing);
  }
  const org = await db.organization.create({ data: { slug: 'overview-bench', name: 'Overview bench' } });
  // A neighbour with its own calls, so the queries must pick one organization's rows.
  const other = await db.organization.create({ data: { slug: 'overview-other', name: 'Other' } });
  const servers = await Promise.all(
    ['Twikit', 'GitHub', 'Linear'].map((name) =>
      db.mcpServer.create({ data: { organizationId: org.id, name, transport: 'stdio', command: 'node' } }),
    ),
  );
  const started = Date.now();
  for (let offset = 0; offset < ROWS; offset += CHUNK) {
    const n = Math.min(CHUNK, ROWS - offset);
    await db.$executeRawUnsafe(
      `INSERT INTO audit_events (id, "organizationId", "serverId", "toolName", method, decision, reason,
          "upstreamOutcome", "latencyMs", "createdAt")
       SELECT 'ov' || lpad(i::text, 10, '0'), $1, ($2::text[])[1 + (i % 3)],
          (ARRAY['get_tweet','search_tweet','leave_community','send_tweet','delete_tweet','list_issues','create_issue','get_user'])[1 + (i % 8)],
          'tools/call',
          (CASE WHEN i % 20 = 0 THEN 'deny' WHEN i % 33 = 0 THEN 'rate_limited' WHEN i % 97 = 0 THEN 'require_approval' ELSE 'allow' END)::"Decision",
          CASE WHEN i % 20 = 0 THEN (ARRAY['destructive', 'not on weekends', 'No policy rule allows this tool'])[1 + (i % 3)] END,
          'ok', (i % 500) / 5.0 + (i % 3) * 20,
          now() - make_interval(secs => (i::float8 / $4) * ${SPAN_S})
       FROM generate_series($3::int, $3::int + $5::int - 1) AS i`,
      org.id,
      servers.map((s) => s.id),
      offset + 1,
      ROWS,
      n,
    );
    process.stdout.write(`  seeded ${(offset + n).toLocaleString('en')} rows\n`);
  }
  await db.$executeRawUnsafe(
    `INSERT INTO audit_events (id, "organizationId", "toolName", method, decision, "createdAt")
     SELECT 'ot' || i, $1, 'get_tweet', 'tools/call', 'allow', now() - make_interval(secs => i * 26) FROM generate_series(1, 100000) i`,
    other.id,
  );
  await db.$executeRawUnsafe('ANALYZE audit_events');
  console.log(
    `Seeded ${ROWS.toLocaleString('en')} events over 30 days (+100,000 of another organization) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return context(org);
}

function context(org: { id: string; slug: string; name: string }): OrgContext {
  return {
    organizationId: org.id,
    orgSlug: org.slug,
    orgName: org.name,
    role: 'viewer',
    actor: { kind: 'user', id: 'bench', label: 'bench' },
  };
}

async function time(name: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  console.log(
    `${name.padEnd(40)} p50 ${at(0.5).toFixed(1).padStart(8)} ms   p95 ${at(0.95).toFixed(1).padStart(8)} ms   (n=${runs})`,
  );
}

const ctx = await seed();
const ranges = Object.keys(RANGES) as RangeKey[];
console.log('\nFrom audit_events alone (no rollups yet):');
for (const range of ranges)
  await time(`overview ${range}`, Math.min(RUNS, range === '1h' ? RUNS : 3), () => overview(db, ctx, range));
const started = Date.now();
let hours = 0;
for (;;) {
  const n = await rollUp(db);
  if (!n) break;
  hours += n;
}
const [counted] = await db.$queryRaw<
  Array<{ rows: number }>
>`SELECT count(*)::int AS rows FROM audit_rollups`;
const rows = counted?.rows ?? 0;
console.log(
  `\nRollup job caught up on ${hours} hours in ${((Date.now() - started) / 1000).toFixed(1)} s (${rows.toLocaleString('en')} rollup rows)`,
);
console.log('With rollups (what the page does):');
for (const range of ranges) await time(`overview ${range}`, RUNS, () => overview(db, ctx, range));
await db.$disconnect();
