// The architecture's walls (docs/architecture.md) are lint rules: eslint.config.mjs and
// .dependency-cruiser.cjs. Each one is tried here on a snippet or a small source tree that breaks
// it, so a rule that stops firing fails this test rather than going unnoticed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: root });

async function messages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('architecture walls', () => {
  it.each([
    [
      'packages never import apps',
      'packages/catalog/src/wall-probe.ts',
      "import { x } from '../../../apps/gateway/src/gateway.ts';\nexport const y = x;",
      /Packages never import apps/,
    ],
    [
      'packages/policy does no I/O',
      'packages/policy/src/wall-probe.ts',
      "import fs from 'node:fs';\nexport const y = fs;",
      /pure: no I\/O/,
    ],
    [
      'the dashboard does not import the gateway',
      'apps/dashboard/src/modules/wall-probe.ts',
      "import { x } from '../../../gateway/src/gateway.ts';\nexport const y = x;",
      /never import each other/,
    ],
    [
      'the gateway does not import the dashboard',
      'apps/gateway/src/wall-probe.ts',
      "import { x } from '../../dashboard/src/env.ts';\nexport const y = x;",
      /never import each other/,
    ],
    [
      'calls/ does not reach into sessions/',
      'apps/gateway/src/calls/wall-probe.ts',
      "import { forwardRequest } from '../sessions/forward-request.ts';\nexport const y = forwardRequest;",
      /calls\/ decides and records/,
    ],
    [
      'only packages/db makes a PrismaClient',
      'apps/dashboard/src/server/wall-probe.ts',
      'declare const PrismaClient: new () => unknown;\nexport const db = new PrismaClient();',
      /Only packages\/db makes a PrismaClient/,
    ],
    [
      'only the audit writer writes audit events',
      'apps/dashboard/src/modules/wall-probe.ts',
      'export function f(db: { auditEvent: { create(a: object): void } }) {\n  db.auditEvent.create({});\n}',
      /Only the gateway audit writer/,
    ],
    [
      'only the audit writer inserts audit rows in SQL',
      'apps/dashboard/src/modules/wall-probe.ts',
      'export const q = `INSERT INTO audit_events (id) VALUES ($1)`;',
      /Only the gateway audit writer/,
    ],
    [
      'only the audit writer updates audit rows in SQL, in the gateway too',
      'apps/gateway/src/calls/wall-probe.ts',
      'export const q = \'UPDATE "audit_events" SET reason = $1\';',
      /Only the gateway audit writer/,
    ],
    [
      'only the audit writer calls the insert function',
      'apps/gateway/src/ops/wall-probe.ts',
      "export const q = 'SELECT * FROM portcullis_audit_insert_reserving($1, $2)';",
      /Only the gateway audit writer/,
    ],
    [
      'only retention deletes audit rows',
      'apps/gateway/src/audit/audit-writer.ts',
      'export const q = `DELETE FROM audit_events WHERE id = $1`;',
      /Only audit retention/,
    ],
  ])('%s', async (_name, file, code, expected) => {
    expect((await messages(file, code)).join('\n')).toMatch(expected);
  });

  it('lets the audit writer write and retention delete audit rows', async () => {
    expect(
      await messages(
        'apps/gateway/src/audit/audit-writer.ts',
        'export const q = `INSERT INTO audit_events (id) VALUES ($1)`;',
      ),
    ).toEqual([]);
    expect(
      await messages(
        'apps/gateway/src/ops/audit-retention.ts',
        'export const q = `DELETE FROM audit_events`;',
      ),
    ).toEqual([]);
    expect(
      await messages(
        'apps/dashboard/src/modules/wall-probe.ts',
        'export const q = `SELECT id FROM audit_events`;',
      ),
    ).toEqual([]);
  });

  it('lets ordinary code through', async () => {
    expect(
      await messages(
        'apps/gateway/src/calls/wall-probe.ts',
        "import { JsonRpcError } from '../errors.ts';\nexport const y = JsonRpcError;",
      ),
    ).toEqual([]);
  });
});

/** Runs dependency-cruiser as `npm run lint` does, on `dirs` under `cwd`, with the repo's rules. */
function depcruise(cwd: string, dirs: string[]): { errors: number; violations: string[] } {
  const bin = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const run = spawnSync(
    process.execPath,
    [bin, ...dirs, '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'],
    { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const report = JSON.parse(run.stdout) as {
    summary: { error: number; violations: { rule: { name: string }; from: string; to: string }[] };
  };
  return {
    // `npm run lint` uses the `err` output, whose exit status is this count.
    errors: report.summary.error,
    violations: report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`),
  };
}

/** The source directories lint cruises: apps/*\/src and packages/*\/src. */
function sourceDirs(base: string): string[] {
  return ['apps', 'packages'].flatMap((top) =>
    readdirSync(path.join(base, top), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${top}/${d.name}/src`)
      .filter((dir) => {
        try {
          return readdirSync(path.join(base, dir)).length > 0;
        } catch {
          return false;
        }
      }),
  );
}

describe('import walls (dependency-cruiser)', () => {
  it('hold in this repository', () => {
    const { errors, violations } = depcruise(root, sourceDirs(root));
    expect(violations).toEqual([]);
    expect(errors).toBe(0);
  });

  it('fire on a tree that breaks each of them', () => {
    const tree = mkdtempSync(path.join(tmpdir(), 'portcullis-walls-'));
    const files: Record<string, string> = {
      // A cycle (as Twikit's account.ts and seed.ts were).
      'apps/twikit/src/account.ts': "import { seed } from './seed.ts';\nexport const account = seed;\n",
      'apps/twikit/src/seed.ts':
        "import type { account } from './account.ts';\nexport const seed = 1 as unknown as typeof account;\n",
      'apps/gateway/src/gateway.ts':
        "import { page } from '../../dashboard/src/page.ts';\nexport const gateway = page;\n",
      'apps/dashboard/src/page.ts':
        "import { gateway } from '../../gateway/src/gateway.ts';\nexport const page = gateway;\n",
      'packages/catalog/src/sync.ts':
        "import { gateway } from '../../../apps/gateway/src/gateway.ts';\nexport const sync = gateway;\n",
      'packages/policy/src/decide.ts':
        "import { readFileSync } from 'node:fs';\nexport const decide = readFileSync;\n",
    };
    try {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
        writeFileSync(path.join(tree, file), text);
      }
      const { errors, violations } = depcruise(tree, sourceDirs(tree));
      expect(errors).toBe(violations.length);
      const text = violations.join('\n');
      expect(text).toMatch(/no-circular: apps\/twikit\/src\/(account|seed)\.ts/);
      expect(text).toMatch(
        /no-circular: apps\/(gateway|dashboard)\/src\/\w+\.ts -> apps\/(dashboard|gateway)\//,
      );
      expect(text).toContain(
        'gateway-never-imports-dashboard: apps/gateway/src/gateway.ts -> apps/dashboard/src/page.ts',
      );
      expect(text).toContain(
        'dashboard-never-imports-gateway: apps/dashboard/src/page.ts -> apps/gateway/src/gateway.ts',
      );
      expect(text).toContain(
        'packages-never-import-apps: packages/catalog/src/sync.ts -> apps/gateway/src/gateway.ts',
      );
      expect(text).toMatch(/policy-is-pure: packages\/policy\/src\/decide\.ts -> (node:)?fs/);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
