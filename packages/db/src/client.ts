// The one place a PrismaClient is made. Apps call createPrismaClient(url) once at start-up.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type Db = PrismaClient;

export interface DbOptions {
  /** Max pool connections (per process). */
  max?: number;
  /** Milliseconds to wait for a free connection before failing, so callers fail fast when the store is down. */
  connectionTimeoutMillis?: number;
  /** Told about connections that fail (the database stopped or restarted); the pool replaces them. */
  onConnectionError?: (error: Error) => void;
}

/**
 * A pg.Pool whose every connection has an 'error' listener for its whole life. pg-pool only listens
 * while a connection is idle: one that is checked out between two queries when the server goes away
 * (PostgreSQL sends "terminating connection due to administrator command") emits an 'error' nobody
 * hears, and Node ends the process. The failed connection is still dropped: a connection that errored
 * is no longer queryable, and the pool removes it when it is released.
 */
export function createResilientPool(
  config: pg.PoolConfig,
  onConnectionError: (error: Error) => void = () => undefined,
): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  return pool;
}

export function createPrismaClient(databaseUrl: string, options: DbOptions = {}): PrismaClient {
  const pool = createResilientPool(
    {
      connectionString: databaseUrl,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    },
    options.onConnectionError,
  );
  // The adapter ends a pool it was given when the client disconnects.
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  return new PrismaClient({ adapter });
}

export { PrismaClient };
