import { describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pendingSchemaChanges } from '../src/migrate/apply.ts';
import { defaultPaths } from '../src/migrate/engine.ts';
import { createPrismaClient } from '../src/client.ts';

const databaseUrl = () => process.env.DATABASE_URL!;

describe('migrations', () => {
  it('prisma/migrations produce exactly prisma/schema.prisma (no drift)', async () => {
    expect(await pendingSchemaChanges(databaseUrl())).toBe('');
  });

  it('detects drift when the schema gains a field the migrations lack', async () => {
    const paths = defaultPaths();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-drift-'));
    try {
      await cp(paths.migrationsDir, path.join(dir, 'migrations'), { recursive: true });
      const schema = await readFile(paths.schemaPath, 'utf8');
      const edited = schema.replace('model Organization {', 'model Organization {\n  driftProbe String?');
      expect(edited).not.toBe(schema);
      await writeFile(path.join(dir, 'schema.prisma'), edited);
      const sql = await pendingSchemaChanges(databaseUrl(), {
        schemaPath: path.join(dir, 'schema.prisma'),
        migrationsDir: path.join(dir, 'migrations'),
      });
      expect(sql).toMatch(/ALTER TABLE "organizations" ADD COLUMN\s+"driftProbe" TEXT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the migrated database round-trips through the Prisma client', async () => {
    const db = createPrismaClient(databaseUrl());
    try {
      const org = await db.organization.create({ data: { name: 'Acme', slug: `acme-${Date.now()}` } });
      const found = await db.organization.findUniqueOrThrow({ where: { id: org.id } });
      expect(found.name).toBe('Acme');
      await db.organization.delete({ where: { id: org.id } });
    } finally {
      await db.$disconnect();
    }
  });
});
