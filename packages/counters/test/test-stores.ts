// Test helpers: a throwaway PostgreSQL database and unique Redis key prefixes per run.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresCounterStore } from '../src/postgres-counter-store.ts';
import { RedisCounterStore } from '../src/redis-counter-store.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Any database on the server works for CREATE DATABASE; the global setup provides an admin URL. */
const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type StoreKind = 'redis' | 'postgres';

export interface StoreTarget {
  kind: StoreKind;
  /** Redis URL or the throwaway database's URL. */
  url: string;
  keyPrefix: string;
}

export function openStore(target: StoreTarget): RedisCounterStore | PostgresCounterStore {
  return target.kind === 'redis'
    ? new RedisCounterStore({ redis: target.url, keyPrefix: target.keyPrefix })
    : new PostgresCounterStore({ pool: target.url, keyPrefix: target.keyPrefix });
}

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `counters_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const store = new PostgresCounterStore({ pool: url.toString() });
  await store.ensureTable();
  await store.close();
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
