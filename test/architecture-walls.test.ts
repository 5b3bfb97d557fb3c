// The architecture's walls are lint rules (eslint.config.mjs): each one is tried here on a snippet
// that breaks it, so a rule that stops firing fails this test rather than going unnoticed.
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
  ])('%s', async (_name, file, code, expected) => {
    expect((await messages(file, code)).join('\n')).toMatch(expected);
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
