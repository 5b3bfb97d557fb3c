// Runs Prisma's schema engine as WebAssembly, in process, over the pg driver adapter.
// Prisma 7's CLI downloads a native schema-engine binary before any migrate command, which cannot
// work offline; the WebAssembly build on npm does the same job through a driver adapter.
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

type EngineModule = typeof import('@prisma/schema-engine-wasm');

let enginePromise: Promise<EngineModule> | undefined;
let lastPanic: string | undefined;

// The wasm build reports Rust panics through this global; without it a panic surfaces as a TypeError.
(globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
  set_message(message: string) {
    lastPanic = message;
  },
};

/** Instantiates the wasm module by hand: its ESM entry imports a .wasm file, which Node 20 cannot. */
function loadEngineModule(): Promise<EngineModule> {
  enginePromise ??= (async () => {
    const bgPath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = (await import(pathToFileURL(bgPath).href)) as EngineModule & {
      __wbg_set_wasm(exports: unknown): void;
    };
    const wasmPath = bgPath.replace(/\.js$/, '.wasm');
    // Node's global WebAssembly (not in the ES lib typings this project compiles against).
    const wasm = (
      globalThis as unknown as {
        WebAssembly: { instantiate(b: Buffer, i: object): Promise<{ instance: { exports: object } }> };
      }
    ).WebAssembly;
    const { instance } = await wasm.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
    return bg;
  })();
  return enginePromise;
}

// adapter-pg 7.10.1 cannot map PostgreSQL's internal "char" type (OID 18), which the engine's
// catalog queries return (pg_constraint.contype, pg_class.relkind). Its values arrive as one-letter
// strings; we pass them through as text and tell the engine the column is a Character column.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
type PgField = { dataTypeID: number };
type Queryable = {
  performIO?: (query: unknown) => Promise<{ fields: PgField[] }>;
  queryRaw?: (query: unknown) => Promise<{ columnTypes: number[] }>;
  startTransaction?: (...a: unknown[]) => Promise<object>;
};
function patchCharColumns<T extends object>(queryable: T): T {
  const q = queryable as unknown as Queryable;
  const performIO = q.performIO?.bind(queryable);
  const queryRaw = q.queryRaw?.bind(queryable);
  let charColumns: number[] = [];
  if (performIO && queryRaw) {
    q.performIO = async (query: unknown) => {
      const result = await performIO(query);
      charColumns = [];
      result?.fields?.forEach((field, i) => {
        if (field.dataTypeID === PG_CHAR_OID) {
          field.dataTypeID = PG_TEXT_OID;
          charColumns.push(i);
        }
      });
      return result;
    };
    // queryRaw awaits performIO and maps types synchronously after it, so charColumns is this query's.
    q.queryRaw = async (query: unknown) => {
      const result = await queryRaw(query);
      for (const i of charColumns) result.columnTypes[i] = ColumnTypeEnum.Character;
      charColumns = [];
      return result;
    };
  }
  const start = q.startTransaction?.bind(queryable);
  if (start) q.startTransaction = async (...a: unknown[]) => patchCharColumns(await start(...a));
  return queryable;
}

// adapter-pg 7.10.1 runs a migration script by splitting it on every ";", even inside comments,
// strings and $$-quoted function bodies (a PL/pgSQL trigger cannot be written). Prisma's native
// engine sends the script as one simple query; so do we: PostgreSQL parses it and runs it atomically.
type ScriptRunner = {
  executeScript?: (script: string) => Promise<void>;
  underlyingDriver?: () => { query: (sql: string) => Promise<unknown> };
  onError?: (e: unknown) => never;
};
function runScriptsWhole<T extends object>(adapter: T): T {
  const a = adapter as unknown as ScriptRunner;
  const driver = a.underlyingDriver?.();
  if (a.executeScript && driver && a.onError) {
    const onError = a.onError.bind(adapter);
    a.executeScript = async (script: string) => {
      try {
        await driver.query(script);
      } catch (error) {
        onError(error);
      }
    };
  }
  return adapter;
}

function databaseUrlWith(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A migration-aware adapter factory for `url`. Its shadow database is a fresh, uniquely named
 * database on the same server, dropped afterwards (adapter-pg 7.10.1 would replay on the main one,
 * because its shadow pool keeps the main connection string).
 */
function adapterFactoryFor(url: string) {
  // Short idle timeout: migration commands are one-shot and should not keep the process alive.
  const main = new PrismaPg({ connectionString: url, idleTimeoutMillis: 500 });
  const factory = {
    provider: main.provider,
    adapterName: main.adapterName,
    async connect() {
      return runScriptsWhole(patchCharColumns(await main.connect()));
    },
    async connectToShadowDb() {
      const name = `portcullis_shadow_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      const shadow = new PrismaPg({ connectionString: databaseUrlWith(url, name), idleTimeoutMillis: 500 });
      const adapter = runScriptsWhole(patchCharColumns(await shadow.connect()));
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        const drop = new pg.Client({ connectionString: url });
        await drop.connect();
        try {
          await drop.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await drop.end();
        }
      };
      return adapter;
    },
  };
  return bindMigrationAwareSqlAdapterFactory(factory as never);
}

export interface PrismaPaths {
  schemaPath: string;
  migrationsDir: string;
}

export function defaultPaths(): PrismaPaths {
  // packages/db/src/migrate → repo root
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
  return {
    schemaPath: path.join(root, 'prisma/schema.prisma'),
    migrationsDir: path.join(root, 'prisma/migrations'),
  };
}

export async function readMigrationList(migrationsDir: string): Promise<MigrationList> {
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const entries = existsSync(migrationsDir) ? await readdir(migrationsDir, { withFileTypes: true }) : [];
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      dirs.map(async (dir) => {
        const file = path.join(migrationsDir, dir, 'migration.sql');
        const content = existsSync(file)
          ? ({ tag: 'ok', value: await readFile(file, 'utf8') } as const)
          : ({ tag: 'error', value: `${file} is missing` } as const);
        return { path: dir, migrationFile: { path: 'migration.sql', content } };
      }),
    ),
  } as MigrationList;
}

export const noFilters = { externalTables: [] as string[], externalEnums: [] as string[] };

/** Opens the schema engine on `url`, runs `fn`, and always frees it. */
export async function withSchemaEngine<T>(
  url: string,
  schema: { path: string; content: string },
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const mod = await loadEngineModule();
  const logs: string[] = [];
  const engine = await mod.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    (line: string) => logs.push(line),
    adapterFactoryFor(url),
  );
  try {
    return await fn(engine);
  } catch (error) {
    const panic = lastPanic ? ` (engine panic: ${lastPanic})` : '';
    lastPanic = undefined;
    throw new Error(`Schema engine failed: ${describeEngineError(error)}${panic}`, { cause: error });
  } finally {
    engine.free();
  }
}

function describeEngineError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
