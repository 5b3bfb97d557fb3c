// One PrismaClient per process; cached on globalThis so dev hot reloads do not open new pools.
import { createPrismaClient, type Db } from '@portcullis/db/client';
import { env } from '../env';

const holder = globalThis as typeof globalThis & { __portcullisDb?: Db };

export function db(): Db {
  holder.__portcullisDb ??= createPrismaClient(env().DATABASE_URL);
  return holder.__portcullisDb;
}
