// Where the suite leaves its figures: one JSON file per test file in test/reliability/.results/
// (git-ignored), which write-report.ts turns into docs/reliability.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const resultsDir = path.join(root, 'test/reliability/.results');
/** This run's process logs (stack-setup.ts makes a fresh folder per run, so concurrent runs do not mix). */
export function logsDir(): string {
  return process.env.RELIABILITY_LOGS ?? path.join(resultsDir, 'logs');
}

/** Scale knobs, so a quick local run can be smaller than the documented one. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function writeResult(name: string, figures: Record<string, unknown>): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, `${name}.json`),
    JSON.stringify({ ...figures, recordedAt: new Date().toISOString() }, null, 2),
  );
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
