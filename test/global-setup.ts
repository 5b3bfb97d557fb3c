// Integration tier: one fresh migrated database per run; tests read DATABASE_URL and REDIS_URL.
import { createTestDatabase, type TestDatabase } from '@portcullis/db/test-database';

let db: TestDatabase | undefined;

export async function setup(): Promise<void> {
  db = await createTestDatabase();
  process.env.TEST_ADMIN_DATABASE_URL = db.adminUrl;
  process.env.DATABASE_URL = db.url;
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
}

export async function teardown(): Promise<void> {
  await db?.drop();
}
