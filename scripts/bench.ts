// `npm run bench`: benchmark scripts that print figures (not timed tests). Each runs in its own
// process so one's warm-up or leftovers cannot skew another's numbers. Benchmarks that need a
// database get a fresh one (on DATABASE_URL's server when set, else an embedded PostgreSQL).
// `npm run bench -- <name>` runs one (policy | guards | gateway | tracing | fairness | growth | audit |
// overview).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../packages/db/src/test-database.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benches = [
  {
    name: 'policy',
    title: 'policy evaluator',
    args: ['packages/policy/bench/evaluate.bench.ts'],
    database: false,
  },
  {
    name: 'guards',
    title: 'content guards: CPU per call by size (4 KB to 1 MB)',
    args: ['packages/guardrails/bench/guards.bench.ts'],
    database: false,
  },
  {
    name: 'gateway',
    title: 'gateway proxy vs direct, supergateway, mcp-proxy (interleaved rounds)',
    args: ['apps/gateway/bench/proxy.bench.ts'],
    database: false,
  },
  {
    name: 'tracing',
    title: 'tracing off: gateway CPU per call with the shipped wrappers vs bypassed (interleaved rounds)',
    args: ['apps/gateway/bench/tracing-off.bench.ts'],
    database: false,
  },
  {
    name: 'fairness',
    title: 'one tenant under another’s flood: B alone and under A×16 and A×64 (interleaved rounds)',
    args: ['apps/gateway/bench/fairness.bench.ts'],
    database: false,
  },
  {
    name: 'growth',
    title: 'how cost grows: tools, rules, grants, organizations, audit rows',
    args: ['apps/gateway/bench/growth.bench.ts'],
    database: true,
  },
  {
    name: 'audit',
    title: 'audit page queries on 1M audit events',
    args: ['apps/dashboard/scripts/seed-audit.ts', '--rows', '1000000'],
    database: true,
  },
  {
    name: 'overview',
    title: 'overview page queries on 10M audit events, before and after rollups',
    args: ['apps/dashboard/scripts/overview-bench.ts'],
    database: true,
  },
];
const only = process.argv[2];
let failed = 0;
for (const bench of benches) {
  if (only && bench.name !== only) continue;
  console.log(`\n### ${bench.title} (${bench.args.join(' ')})`);
  const db = bench.database ? await createTestDatabase('portcullis_bench') : undefined;
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', ...bench.args], {
      cwd: root,
      stdio: 'inherit',
      env: db ? { ...process.env, DATABASE_URL: db.url } : process.env,
    });
    if (r.status !== 0) failed += 1;
  } finally {
    await db?.drop();
  }
}
process.exit(failed ? 1 : 0);
