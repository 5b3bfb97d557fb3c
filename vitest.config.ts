import { defineConfig } from 'vitest/config';

// Tiers: unit (`*.test.ts`, no I/O beyond the file system), integration (`*.integration.test.ts`,
// real PostgreSQL and Redis, run serially on a fresh database per run) and reliability
// (`test/reliability`, processes killed, stores stopped and hostile input; figures for docs/reliability.md).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{apps,packages}/*/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/*.reliability.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/{src,test}/**/*.integration.test.ts', 'test/**/*.integration.test.ts'],
          environment: 'node',
          globalSetup: ['./test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.reliability.test.ts'],
          environment: 'node',
          // A fresh migrated database, then the whole product on it (dashboard on `next start`,
          // gateway, Twikit stand-in) for the suites that probe it; the others start their own processes.
          globalSetup: ['./test/global-setup.ts', './test/reliability/stack-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
