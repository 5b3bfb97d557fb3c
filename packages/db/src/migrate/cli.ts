// `npm run db:migrate` (dev), `db:deploy`, `db:generate`, and `check` (drift), without Prisma's
// downloaded native engine. Usage: node --import tsx packages/db/src/migrate/cli.ts <command> [--name x]
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations, pendingSchemaChanges } from './apply.ts';
import { defaultPaths } from './engine.ts';
import { resolveDatabaseUrl } from '../embedded-postgres.ts';

const paths = defaultPaths();
const root = path.dirname(path.dirname(paths.schemaPath));

function generate(): void {
  // `prisma generate` only needs WebAssembly, but the CLI fetches the native schema engine first
  // unless told where one is; pointing it at any existing file stops the download.
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/prisma/build/index.js'), 'generate', '--schema', paths.schemaPath],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    },
  );
  if (result.status !== 0) throw new Error('prisma generate failed (see above)');
}

function migrationName(argv: string[]): string {
  const i = argv.indexOf('--name');
  const raw = i >= 0 ? (argv[i + 1] ?? '') : 'change';
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  return name || 'change';
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function main(): Promise<void> {
  const [command = 'help', ...rest] = process.argv.slice(2);
  if (command === 'generate') return generate();
  if (command === 'help' || !['dev', 'deploy', 'check'].includes(command)) {
    console.log('commands: dev [--name <name>] | deploy | check | generate');
    process.exitCode = command === 'help' ? 0 : 2;
    return;
  }
  const db = await resolveDatabaseUrl();
  try {
    if (command === 'deploy') {
      const applied = await applyMigrations(db.url, paths);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
    } else if (command === 'check') {
      const sql = await pendingSchemaChanges(db.url, paths);
      if (sql) {
        console.error(
          'prisma/schema.prisma and prisma/migrations differ. Run `npm run db:migrate`. Missing SQL:\n' + sql,
        );
        process.exitCode = 1;
      } else console.log('Migrations match the schema.');
    } else {
      const sql = await pendingSchemaChanges(db.url, paths);
      if (!sql) {
        console.log('No schema changes; nothing to migrate.');
      } else {
        const dir = path.join(paths.migrationsDir, `${timestamp()}_${migrationName(rest)}`);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'migration.sql'), sql + '\n');
        const lock = path.join(paths.migrationsDir, 'migration_lock.toml');
        if (!existsSync(lock))
          await writeFile(lock, '# Do not edit: kept by the migration tool.\nprovider = "postgresql"\n');
        console.log(`Created ${path.relative(root, dir)}/migration.sql`);
      }
      const applied = await applyMigrations(db.url, paths);
      if (applied.length) console.log(`Applied: ${applied.join(', ')}`);
      generate();
    }
  } finally {
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
