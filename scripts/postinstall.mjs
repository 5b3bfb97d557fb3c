// Generates the Prisma client after install. Skipped quietly before the migration tool exists
// (first install of a fresh clone runs this before tsx is linked only in odd layouts).
import { spawnSync } from 'node:child_process';
const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/db/src/migrate/cli.ts', 'generate'], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
