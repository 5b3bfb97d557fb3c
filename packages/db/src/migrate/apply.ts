// Applies pending migrations from prisma/migrations to a database. Used by `npm start`, the
// integration-test setup and `npm run db:deploy`, so all three run exactly the same migrations.
import { readFile } from 'node:fs/promises';
import { defaultPaths, noFilters, readMigrationList, withSchemaEngine, type PrismaPaths } from './engine.ts';

export async function applyMigrations(
  databaseUrl: string,
  paths: PrismaPaths = defaultPaths(),
): Promise<string[]> {
  const schema = { path: paths.schemaPath, content: await readFile(paths.schemaPath, 'utf8') };
  const migrationsList = await readMigrationList(paths.migrationsDir);
  return withSchemaEngine(databaseUrl, schema, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return out.appliedMigrationNames;
  });
}

/**
 * SQL that would bring the migrations up to the schema; empty when they agree. Replays the
 * migrations on a throwaway shadow database of the server at `databaseUrl`.
 */
export async function pendingSchemaChanges(
  databaseUrl: string,
  paths: PrismaPaths = defaultPaths(),
): Promise<string> {
  const content = await readFile(paths.schemaPath, 'utf8');
  const migrationsList = await readMigrationList(paths.migrationsDir);
  return withSchemaEngine(databaseUrl, { path: paths.schemaPath, content }, async (engine) => {
    const from =
      migrationsList.migrationDirectories.length === 0
        ? ({ tag: 'empty' } as const)
        : ({ tag: 'migrations', ...migrationsList } as const);
    const result = await engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: paths.schemaPath, content }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    } as never);
    const sql = (result.stdout ?? '').trim();
    return sql === '-- This is an empty migration.' ? '' : sql;
  });
}
