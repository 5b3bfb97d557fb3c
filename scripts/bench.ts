// `npm run bench`: benchmark scripts that print figures (not timed tests). Each runs in its own
// process so one's warm-up or leftovers cannot skew another's numbers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benches = [
  { name: 'policy evaluator', file: 'packages/policy/bench/evaluate.bench.ts' },
  { name: 'gateway proxy', file: 'apps/gateway/bench/proxy.bench.ts' },
  { name: 'audit page', file: 'apps/dashboard/bench/audit-page.bench.ts' },
];
const only = process.argv[2];
let failed = 0;
for (const bench of benches) {
  if (only && !bench.file.includes(only) && !bench.name.includes(only)) continue;
  console.log(`\n### ${bench.name} (${bench.file})`);
  if (!existsSync(path.join(root, bench.file))) {
    console.log('missing');
    failed += 1;
    continue;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', bench.file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
