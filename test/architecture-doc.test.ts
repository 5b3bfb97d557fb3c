// docs/architecture.md stays true: every path it names exists, and the walls it states that lint
// cannot see are checked here (policy decisions come from the one function both enforcement and
// simulation call). The import walls and the audit and Prisma walls are in architecture-walls.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');

/** A path under a top-level directory, or a root config file (eslint.config.mjs, .dependency-cruiser.cjs). */
const TOP_LEVEL = /^(apps|packages|docs|test|prisma|scripts|e2e|tooling)\/|^[\w.-]+\.(cjs|mjs)$/;

/** The code spans of a markdown text that name a file or directory of this repository. */
function namedPaths(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...new Set(spans.filter((span) => TOP_LEVEL.test(span) && !/\s/.test(span)))];
}

/** Whether a path exists; a `*` segment matches any directory entry (apps/*\/src). */
function pathExists(base: string, named: string): boolean {
  const segments = named.replace(/\/$/, '').split('/');
  let candidates = [base];
  for (const segment of segments) {
    candidates = candidates.flatMap((dir) => {
      if (segment !== '*') return existsSync(path.join(dir, segment)) ? [path.join(dir, segment)] : [];
      try {
        return readdirSync(dir).map((entry) => path.join(dir, entry));
      } catch {
        return [];
      }
    });
  }
  return candidates.length > 0;
}

/** The files of a directory tree (sources only, no dependencies or build output). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', '.next', 'generated', 'dist'].includes(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(entry.name) ? [full] : [];
  });
}

/** Files of apps/*\/src that import `specifier` (static imports and re-exports). */
function importersOf(specifier: string): string[] {
  const pattern = new RegExp(`from\\s+['"]${specifier.replace(/[/.]/g, '\\$&')}['"]`);
  return readdirSync(path.join(root, 'apps'))
    .flatMap((app) => {
      const src = path.join(root, 'apps', app, 'src');
      return existsSync(src) ? sourceFiles(src) : [];
    })
    .filter((file) => pattern.test(readFileSync(file, 'utf8')))
    .map((file) => path.relative(root, file).split(path.sep).join('/'))
    .sort();
}

/** The names a file imports from `specifier`. */
function importedNames(file: string, specifier: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const escaped = specifier.replace(/[/.]/g, '\\$&');
  const names = [
    ...text.matchAll(new RegExp(`import\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*['"]${escaped}['"]`, 'g')),
  ];
  return names.flatMap((m) =>
    m[1]!
      .split(',')
      .map((name) => name.trim().replace(/^type\s+/, ''))
      .filter(Boolean),
  );
}

describe('docs/architecture.md', () => {
  it('names only paths that exist', () => {
    const named = namedPaths(doc);
    expect(named.length).toBeGreaterThan(40);
    expect(named.filter((p) => !pathExists(root, p))).toEqual([]);
  });

  it('names every app and package', () => {
    for (const top of ['apps', 'packages'])
      for (const entry of readdirSync(path.join(root, top), { withFileTypes: true }))
        if (entry.isDirectory()) expect(doc).toContain(`\`${top}/${entry.name}\``);
  });

  it('the path check catches a path that does not exist', () => {
    const named = namedPaths(
      'See `apps/gateway/src/sessions/gateway-session.ts`, `apps/*/src` and `apps/gateway/src/gone.ts`; not `_meta`.',
    );
    expect(named).toEqual([
      'apps/gateway/src/sessions/gateway-session.ts',
      'apps/*/src',
      'apps/gateway/src/gone.ts',
    ]);
    expect(named.filter((p) => !pathExists(root, p))).toEqual(['apps/gateway/src/gone.ts']);
  });
});

describe('policy decisions live in one pure function', () => {
  it('enforcement and simulation both decide a tool call with decideToolCall', () => {
    for (const caller of [
      'apps/gateway/src/calls/handle-tool-call.ts',
      'apps/dashboard/src/modules/policies/simulate.ts',
    ]) {
      expect(importedNames(caller, '@portcullis/policy/decide'), caller).toContain('decideToolCall');
      expect(readFileSync(path.join(root, caller), 'utf8'), caller).toMatch(/\bdecideToolCall\(/);
    }
  });

  it('the apps use the lower-level evaluate functions only where docs/architecture.md says', () => {
    // The counters' outcome applied to a decision (enforcement), and the catalog's per-tool effect.
    expect(importersOf('@portcullis/policy/evaluate')).toEqual([
      'apps/dashboard/src/modules/catalog/policy-effect.ts',
      'apps/gateway/src/calls/handle-tool-call.ts',
    ]);
    expect(
      importedNames('apps/gateway/src/calls/handle-tool-call.ts', '@portcullis/policy/evaluate'),
    ).toEqual(['applyCounterResults']);
  });
});
