// The reserve function exists twice: in the migration (what deployments run) and in the store's
// DDL (what the counter tests create on their bare databases). They must be the same function.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RESERVE_FUNCTION_DDL } from '../src/postgres-counter-store.ts';

const migration = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma/migrations/20261202021500_rate_limit_reserve_function/migration.sql');

describe('portcullis_reserve_counters', () => {
  it('is created by the migration exactly as the store defines it', () => {
    const sql = readFileSync(migration, 'utf8');
    expect(sql.slice(sql.indexOf('CREATE OR REPLACE FUNCTION')).trim()).toBe(RESERVE_FUNCTION_DDL.trim());
  });
});
