// The audit writer on a real PostgreSQL: every field round-trips, concurrent inserts share one
// statement (group commit) and each resolves only once its row is committed, odd strings from an
// agent cannot fail a batch that carries other calls' rows, and completions land on close.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../src/audit/audit-writer.ts';
import type { AuditRecord } from '../src/audit/audit-types.ts';
import { databaseUrl, seed, testDb, type Seeded } from './harness.ts';

describe('AuditWriter', () => {
  let pool: pg.Pool;
  let seeded: Seeded;
  const statements: string[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
    // Count the INSERTs the writer sends.
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
      const config = args[0] as { text?: string } | string;
      const text = typeof config === 'string' ? config : (config.text ?? '');
      if (text.includes('INSERT INTO audit_events')) statements.push(text);
      return query(...args);
    };
    seeded = await seed({ transport: 'stdio', stdioTemplate: 'node-script' }, null);
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
    decision: 'allow',
    ruleId: 'tools.echo',
    policyVersion: 3,
    reason: null,
    arguments: { text: 'hmac:abc', nested: { n: 1, list: [true, null] } },
    argumentsRedacted: true,
    approvalId: null,
    sessionId: 'session-1',
    requestId: '7',
    upstreamOutcome: 'pending',
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    ...overrides,
  });

  it('stores every field as given, and completes the row later', async () => {
    const writer = new AuditWriter(pool, (error) => {
      throw error;
    });
    const id = await writer.insert(record());
    const denied = await writer.insert(
      record({
        decision: 'rate_limited',
        upstreamOutcome: 'not_sent',
        reason: 'full',
        latencyMs: 1.25,
        policyVersion: null,
        ruleId: null,
      }),
    );
    let row = await testDb().auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      organizationId: seeded.organizationId,
      grantId: seeded.grantId,
      serverId: seeded.serverId,
      toolName: 'echo',
      method: 'tools/call',
      decision: 'allow',
      ruleId: 'tools.echo',
      policyVersion: 3,
      reason: null,
      arguments: { text: 'hmac:abc', nested: { n: 1, list: [true, null] } },
      argumentsRedacted: true,
      sessionId: 'session-1',
      requestId: '7',
      upstreamOutcome: 'pending',
      latencyMs: null,
      completedAt: null,
    });
    expect(row.createdAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    const deniedRow = await testDb().auditEvent.findUniqueOrThrow({ where: { id: denied } });
    expect(deniedRow).toMatchObject({
      decision: 'rate_limited',
      upstreamOutcome: 'not_sent',
      reason: 'full',
      latencyMs: 1.25,
      policyVersion: null,
      ruleId: null,
    });
    expect(deniedRow.completedAt).not.toBeNull();

    writer.complete({ id, outcome: 'ok', error: null, latencyMs: 4.5 });
    await writer.close();
    row = await testDb().auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ upstreamOutcome: 'ok', latencyMs: 4.5 });
    expect(row.completedAt).not.toBeNull();
  });

  it('group-commits concurrent inserts, each resolving once its row is stored', async () => {
    const writer = new AuditWriter(pool, () => undefined);
    statements.length = 0;
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => writer.insert(record({ requestId: `batch-${i}` }))),
    );
    expect(new Set(ids).size).toBe(50);
    expect(statements.length).toBeLessThanOrEqual(2);
    const stored = await testDb().auditEvent.count({ where: { id: { in: ids } } });
    expect(stored).toBe(50);
    await writer.close();
  });

  it('keeps odd strings from an agent from failing the batch', async () => {
    const writer = new AuditWriter(pool, () => undefined);
    const [odd, plain] = await Promise.all([
      writer.insert(
        record({
          toolName: 'lone \ud800 surrogate \\ud800 literal',
          requestId: 'quote " and \\ backslash',
          arguments: { ['k\udc00']: 'v\ud83d' },
        }),
      ),
      writer.insert(record({ requestId: 'plain' })),
    ]);
    const row = await testDb().auditEvent.findUniqueOrThrow({ where: { id: odd } });
    expect(row.toolName).toBe('lone \ufffd surrogate \\ud800 literal');
    expect(row.requestId).toBe('quote " and \\ backslash');
    expect(row.arguments).toEqual({ ['k\ufffd']: 'v\ufffd' });
    expect(await testDb().auditEvent.findUnique({ where: { id: plain } })).not.toBeNull();
    await writer.close();
  });

  it("stores a record whose arguments JSON cannot write in its safe form, without failing the batch's other rows", async () => {
    const writer = new AuditWriter(pool, () => undefined);
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const [poisoned, plain] = await Promise.all([
      writer.insert(record({ requestId: 'deep', arguments: { deep } })),
      writer.insert(record({ requestId: 'beside-deep' })),
    ]);
    expect((await testDb().auditEvent.findUniqueOrThrow({ where: { id: poisoned } })).arguments).toEqual({
      'portcullis/unstorable': 'The arguments could not be stored as given',
    });
    expect((await testDb().auditEvent.findUniqueOrThrow({ where: { id: plain } })).requestId).toBe(
      'beside-deep',
    );
    await writer.close();
  });

  it('rejects every call of a batch the store refuses, and refuses after close', async () => {
    const writer = new AuditWriter(pool, () => undefined);
    await expect(writer.insert(record({ organizationId: 'no-such-organization' }))).rejects.toThrow();
    await writer.close();
    await expect(writer.insert(record())).rejects.toThrow(/closed/);
  });
});
