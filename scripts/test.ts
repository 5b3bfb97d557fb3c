// `npm test`: lint + typecheck (turbo), unit, integration (real PostgreSQL/Redis), e2e (Playwright,
// Debian Chromium). Prints one closing line `Summary: N passed, N failed, N skipped` over all tiers
// and exits non-zero if any tier failed. `--only <tier>` runs one tier (lint|unit|integration|reliability|e2e).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'portcullis-test-'));
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: '0' };

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const failures: string[] = [];

function exec(label: string, command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): number {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  console.log(
    `=== ${label}: exit ${r.status ?? r.signal} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return r.status ?? 1;
}

function vitestTier(project: 'unit' | 'integration' | 'reliability'): void {
  const out = path.join(tmp, `${project}.json`);
  const status = exec(project, process.execPath, [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  if (!existsSync(out)) {
    total.failed += 1;
    failures.push(`${project}: runner produced no report (exit ${status})`);
    return;
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numTotalTestSuites: number;
    numTotalTests: number;
    success?: boolean;
    testResults: { name: string; status: string; message?: string }[];
  };
  // A global setup that crashed (e.g. the reliability stack did not build) runs no test at all and
  // vitest may still exit 0: a tier that ran nothing, or that vitest itself calls unsuccessful, fails.
  if (
    report.numTotalTests === 0 ||
    (report.success === false && report.numFailedTests === 0 && status === 0)
  ) {
    total.failed += 1;
    failures.push(
      `${project}: ${report.numTotalTests === 0 ? 'no test ran (a global setup may have failed; see above)' : 'vitest reported the run unsuccessful'}`,
    );
    return;
  }
  total.passed += report.numPassedTests;
  total.failed += report.numFailedTests;
  total.skipped += report.numPendingTests + report.numTodoTests;
  // A suite that failed to load (syntax error, setup crash) has no failed tests but must still fail the run.
  const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && f.message);
  for (const f of brokenFiles)
    failures.push(`${project}: ${path.relative(root, f.name)}: ${f.message?.split('\n')[0]}`);
  if (status !== 0 && report.numFailedTests === 0) {
    total.failed += Math.max(1, brokenFiles.length);
    if (!brokenFiles.length) failures.push(`${project}: exit ${status}`);
  }
  if (report.numFailedTests) failures.push(`${project}: ${report.numFailedTests} failed`);
}

function e2eTier(): void {
  const out = path.join(tmp, 'e2e.json');
  const status = exec(
    'e2e',
    process.execPath,
    [
      'node_modules/@playwright/test/cli.js',
      'test',
      '-c',
      'e2e/playwright.config.ts',
      '--reporter=list,json',
    ],
    {
      PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    },
  );
  if (!existsSync(out)) {
    total.failed += 1;
    failures.push(`e2e: runner produced no report (exit ${status})`);
    return;
  }
  const stats = (
    JSON.parse(readFileSync(out, 'utf8')) as {
      stats: { expected: number; unexpected: number; flaky: number; skipped: number };
    }
  ).stats;
  total.passed += stats.expected + stats.flaky;
  total.failed += stats.unexpected;
  total.skipped += stats.skipped;
  if (stats.unexpected) failures.push(`e2e: ${stats.unexpected} failed`);
  else if (status !== 0) {
    total.failed += 1;
    failures.push(`e2e: exit ${status}`);
  }
}

const tiers: Record<string, () => void> = {
  lint: () => {
    const lint = exec('lint', 'npm', ['run', '--silent', 'lint']);
    const types = exec('typecheck', 'npm', ['run', '--silent', 'typecheck']);
    if (lint === 0 && types === 0) total.passed += 1;
    else {
      total.failed += 1;
      failures.push('lint/typecheck failed');
    }
  },
  unit: () => vitestTier('unit'),
  integration: () => vitestTier('integration'),
  reliability: () => vitestTier('reliability'),
  e2e: e2eTier,
};

for (const [name, tier] of Object.entries(tiers)) if (!only || only === name) tier();
rmSync(tmp, { recursive: true, force: true });

if (failures.length) console.log(`\nFailures:\n- ${failures.join('\n- ')}`);
console.log(`\nSummary: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
