// A fresh, migrated database per test run, so runs never interfere: on the server at DATABASE_URL
// when set (CI), otherwise on a throwaway embedded PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from './migrate/apply.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export interface TestDatabase {
  url: string;
  /** URL of the server's maintenance database, for creating further databases. */
  adminUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(prefix = 'portcullis_test'): Promise<TestDatabase> {
  let serverUrl = process.env.DATABASE_URL;
  let stopServer = async () => undefined as void;
  if (!serverUrl) {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'portcullis-pg-'));
    const server = await startEmbeddedPostgres({
      dataDir: path.join(parent, 'data'),
      port: 20000 + Math.floor(Math.random() * 20000),
      database: 'postgres',
      persistent: false,
    });
    serverUrl = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    };
  }
  const adminUrl = withDatabase(serverUrl, 'postgres');
  const name = `${prefix}_${Date.now()}_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  await applyMigrations(url);
  return {
    url,
    adminUrl,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
      await stopServer();
    },
  };
}
