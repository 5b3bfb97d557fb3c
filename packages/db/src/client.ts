// The one place a PrismaClient is made. Apps call createPrismaClient(url) once at start-up.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type Db = PrismaClient;

export interface DbOptions {
  /** Max pool connections (per process). */
  max?: number;
  /** Milliseconds to wait for a free connection before failing, so callers fail fast when the store is down. */
  connectionTimeoutMillis?: number;
}

export function createPrismaClient(databaseUrl: string, options: DbOptions = {}): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
  });
  return new PrismaClient({ adapter });
}

export { PrismaClient };
