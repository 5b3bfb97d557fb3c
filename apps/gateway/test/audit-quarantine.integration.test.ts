// A row PostgreSQL refuses must cost only itself: the batch it came in is retried row by row, the
// row is tried once more in its safe form, then quarantined (logged), never re-queued forever.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../src/audit/audit-writer.ts';
import { UnstorableAuditRecordError, type AuditRecord } from '../src/audit/audit-types.ts';
import { databaseUrl, seed, testDb, type Seeded } from './harness.ts';

describe('AuditWriter with a row the store refuses', () => {
  let pool: pg.Pool;
  let seeded: Seeded;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
    seeded = await seed({ transport: 'streamable_http', url: 'http://127.0.0.1:1/mcp' }, null);
  });

  afterAll(async () => {
    await pool.end();
  });

  const record = (overrides: Partial<AuditRecord> = {}): AuditRecord => ({
    organizationId: seeded.organizationId,
    grantId: seeded.grantId,
    serverId: seeded.serverId,
    toolName: 'echo',
    method: 'tools/call',
    decision: 'deny',
    ruleId: null,
    policyVersion: null,
    reason: null,
    arguments: { text: 'hello' },
    argumentsRedacted: false,
    approvalId: null,
    sessionId: 'session-q',
    requestId: '1',
    upstreamOutcome: 'not_sent',
    createdAt: new Date(),
    ...overrides,
  });

  it('stores the other rows of the batch, quarantines the bad one and does not retry it', async () => {
    const logged: string[] = [];
    const writer = new AuditWriter(pool, (_error, message) => logged.push(message ?? ''));
    // An organization that does not exist: a foreign-key violation no safe form can cure.
    const bad = record({ organizationId: 'no-such-organization', requestId: 'bad' });
    const results = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, i) => writer.insert(record({ requestId: `good-${i}` }))),
      writer.insert(bad),
      writer.insertOrDefer({ ...bad, requestId: 'bad-deferred' }),
    ]);
    const good = results.slice(0, 5);
    expect(good.every((r) => r.status === 'fulfilled')).toBe(true);
    for (const r of good)
      expect(
        await testDb().auditEvent.findUnique({ where: { id: (r as PromiseFulfilledResult<string>).value } }),
      ).not.toBeNull();
    expect(results[5]).toMatchObject({ status: 'rejected', reason: expect.any(UnstorableAuditRecordError) });
    expect(results[6]).toEqual({ status: 'fulfilled', value: 'quarantined' });
    expect(writer.deferredCount).toBe(0);
    expect(writer.quarantinedRecords).toBe(2);
    expect(logged.filter((m) => m.startsWith('audit record quarantined'))).toHaveLength(2);
    expect(logged[0]).toContain('no-such-organization');
    await writer.close();
  });
});
