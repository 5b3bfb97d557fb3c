// Test helpers: stores for a target, and unique Redis key prefixes per run.

import { randomBytes } from 'node:crypto';
import { PostgresCounterStore } from '../src/postgres-counter-store.ts';
import { RedisCounterStore } from '../src/redis-counter-store.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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
