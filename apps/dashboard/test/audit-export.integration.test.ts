// Continuous audit export: a cursor per export moved only after a 2xx, signed JSON lines or OTLP logs,
// at-least-once with event ids, retries with backoff, one export's slow receiver never holding another,
// and the receiver's URL checked (https, private-address guard) like any tenant-controlled URL.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

/** One receiver server for the whole file; each test takes its own path (the operator allows its origin). */
interface Hit {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const hits: Hit[] = [];
const behaviour = new Map<string, (n: number) => 'ok' | 'fail' | 'hang'>();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const path = req.url ?? '/';
    const n = hits.filter((h) => h.path === path).length;
    hits.push({ path, headers: req.headers, body });
    const what = behaviour.get(path)?.(n) ?? 'ok';
    if (what === 'hang') return;
    res.writeHead(what === 'ok' ? 200 : 503).end(what);
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
process.env.WEBHOOK_PRIVATE_ORIGINS = origin;

const { db, newOwner, resetDatabase, seedServer, addMember } = await import('./helpers.ts');
const { createExport, deleteExport, listExports, setExportEnabled } =
  await import('../src/modules/audit-export/exports.ts');
const { startDueExports } = await import('../src/modules/audit-export/export-worker.ts');
const { verifyWebhook } = await import('../src/modules/notifications/webhook-signature.ts');

const encryptionKey = Buffer.from(process.env.PORTCULLIS_ENCRYPTION_KEY!, 'base64');
const options = (extra = {}) => ({
  privateOrigins: [origin],
  encryptionKey,
  timeoutMs: 1_000,
  batchSize: 500,
  backoffMs: () => 20,
  settleMs: 0,
  idleMs: 0,
  ...extra,
});

beforeEach(async () => {
  await resetDatabase();
  hits.length = 0;
  behaviour.clear();
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

/** Runs the worker until `done` holds (or rounds run out), waiting a little between rounds. */
async function work(opts: ReturnType<typeof options>, done: () => Promise<boolean>, rounds = 40) {
  const inFlight = new Set<string>();
  for (let i = 0; i < rounds && !(await done()); i += 1) {
    await Promise.all(await startDueExports(db, opts, inFlight));
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function seedEvents(organizationId: string, count: number, extra: Record<string, unknown> = {}) {
  const server = await seedServer(organizationId, `S${Math.random()}`);
  const base = Date.now() + 1;
  await db.auditEvent.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      organizationId,
      serverId: server.id,
      method: 'tools/call',
      toolName: i % 2 ? 'get_tweet' : 'delete_tweet',
      decision: i % 2 ? ('allow' as const) : ('deny' as const),
      reason: i % 2 ? null : 'destructive',
      upstreamOutcome: i % 2 ? 'ok' : 'not_sent',
      createdAt: new Date(base + i),
      ...extra,
    })),
  });
  const rows = await db.auditEvent.findMany({
    where: { organizationId, serverId: server.id },
    select: { id: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  // Recorded after the export was created (it starts there), and in the past once this returns.
  await new Promise((r) => setTimeout(r, count + 5));
  return rows.map((r) => r.id);
}

const lines = (h: Hit) =>
  h.body
    .trim()
    .split('\n')
    .map(
      (l) => JSON.parse(l) as { id: string; decision: string; upstreamOutcome: string; organization: string },
    );

describe('audit export', () => {
  it('a receiver that fails the first 3 deliveries gets every event, each exactly once after dedupe by id, signed', async () => {
    const { ctx, orgSlug } = await newOwner();
    const created = await createExport(db, ctx, { name: 'siem', kind: 'https', url: `${origin}/a` });
    expect(created.secret).toMatch(/^whsec_/);
    behaviour.set('/a', (n) => (n < 3 ? 'fail' : 'ok'));
    const ids = await seedEvents(ctx.organizationId, 1_200);
    const exported = async () =>
      (await db.auditExport.findUniqueOrThrow({ where: { id: created.id } })).exportedCount === ids.length;
    await work(options(), exported);
    expect(await exported()).toBe(true);

    const got = hits.filter((h) => h.path === '/a');
    // 3 refused tries of the first batch, then 3 batches of at most 500.
    expect(got.length).toBe(6);
    const accepted = got.slice(3).flatMap(lines);
    // In the order the calls were recorded.
    expect(accepted.map((e) => e.id)).toEqual(ids);
    const unique = new Set(got.flatMap(lines).map((e) => e.id));
    expect(unique).toEqual(new Set(ids));
    expect(accepted).toHaveLength(ids.length);
    expect(accepted.every((e) => e.organization === orgSlug)).toBe(true);
    // Retries of the same batch carry the same delivery id; every body verifies with the secret.
    expect(new Set(got.slice(0, 4).map((h) => h.headers['x-portcullis-delivery'])).size).toBe(1);
    for (const h of got)
      expect(
        verifyWebhook(
          created.secret!,
          {
            signature: String(h.headers['x-portcullis-signature']),
            timestamp: String(h.headers['x-portcullis-timestamp']),
          },
          h.body,
        ),
      ).toBe(true);
    const [row] = await listExports(db, ctx);
    expect(row).toMatchObject({ exportedCount: 1_200, attempts: 0, lastError: null });
    expect(JSON.stringify(row)).not.toContain('whsec_');
    expect(row).not.toHaveProperty('secretEnc');
  });

  it('records the failure and backs off while the receiver fails, then goes on from the same event', async () => {
    const { ctx } = await newOwner();
    const created = await createExport(db, ctx, { name: 'down', kind: 'https', url: `${origin}/down` });
    behaviour.set('/down', () => 'fail');
    const ids = await seedEvents(ctx.organizationId, 3);
    await work(options({ backoffMs: () => 60_000 }), async () => hits.length >= 1, 5);
    const failed = await db.auditExport.findUniqueOrThrow({ where: { id: created.id } });
    expect(failed).toMatchObject({
      attempts: 1,
      exportedCount: 0,
      lastError: 'The receiver answered HTTP 503',
    });
    expect(failed.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
    // Nothing more is tried during the backoff.
    await work(options(), async () => false, 3);
    expect(hits).toHaveLength(1);
    // Turning it off and on again retries at once; the receiver now takes it.
    behaviour.set('/down', () => 'ok');
    await setExportEnabled(db, ctx, created.id, false);
    await setExportEnabled(db, ctx, created.id, true);
    await work(options(), async () => hits.length >= 2, 5);
    expect(
      lines(hits[1]!)
        .map((e) => e.id)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('holds back a call still waiting for its upstream, so it is exported once with its outcome', async () => {
    const { ctx } = await newOwner();
    const created = await createExport(db, ctx, { name: 'p', kind: 'https', url: `${origin}/p` });
    const [first] = await seedEvents(ctx.organizationId, 1);
    const [pending] = await seedEvents(ctx.organizationId, 1, {
      upstreamOutcome: 'pending',
      decision: 'allow',
    });
    const [after] = await seedEvents(ctx.organizationId, 1);
    await work(options(), async () => hits.length >= 1, 5);
    await work(options(), async () => false, 3);
    expect(hits.flatMap(lines).map((e) => e.id)).toEqual([first]);
    await db.auditEvent.update({
      where: { id: pending! },
      data: { upstreamOutcome: 'ok', completedAt: new Date() },
    });
    await work(options(), async () => hits.length >= 2, 5);
    const second = lines(hits[1]!);
    expect(second.map((e) => e.id)).toEqual([pending, after]);
    expect(second[0]!.upstreamOutcome).toBe('ok');
    expect((await db.auditExport.findUniqueOrThrow({ where: { id: created.id } })).exportedCount).toBe(3);
  });

  it('exports a call that waits longer than the pending bound as pending, and does not stall behind it', async () => {
    const { ctx } = await newOwner();
    await createExport(db, ctx, { name: 'p', kind: 'https', url: `${origin}/q` });
    const [pending] = await seedEvents(ctx.organizationId, 1, {
      upstreamOutcome: 'pending',
      decision: 'allow',
    });
    const [after] = await seedEvents(ctx.organizationId, 1);
    await work(options({ pendingWaitMs: 0 }), async () => hits.length >= 1, 5);
    const got = lines(hits[0]!);
    expect(got.map((e) => e.id)).toEqual([pending, after]);
    expect(got[0]!.upstreamOutcome).toBe('pending');
  });

  it('a receiver that never answers holds only its own export: another organization’s goes on', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const slow = await createExport(db, a.ctx, { name: 'slow', kind: 'https', url: `${origin}/slow` });
    await createExport(db, b.ctx, { name: 'fast', kind: 'https', url: `${origin}/fast` });
    behaviour.set('/slow', () => 'hang');
    await seedEvents(a.ctx.organizationId, 2);
    const bIds = await seedEvents(b.ctx.organizationId, 2);
    const inFlight = new Set<string>();
    const started = Date.now();
    const sends = await startDueExports(db, options({ timeoutMs: 1_500 }), inFlight);
    expect(sends).toHaveLength(2);
    // B's batch arrives while A's send is still hanging.
    while (!hits.some((h) => h.path === '/fast') && Date.now() - started < 1_400)
      await new Promise((r) => setTimeout(r, 10));
    expect(hits.find((h) => h.path === '/fast')).toBeDefined();
    expect(
      lines(hits.find((h) => h.path === '/fast')!)
        .map((e) => e.id)
        .sort(),
    ).toEqual([...bIds].sort());
    expect(inFlight.has(slow.id)).toBe(true);
    await Promise.all(sends);
    const stalled = await db.auditExport.findUniqueOrThrow({ where: { id: slow.id } });
    expect(stalled).toMatchObject({ exportedCount: 0, attempts: 1, lastError: 'No answer in time' });
  });

  it('OTLP logs: one log record per event, the event as its body, in the OTLP/HTTP JSON shape', async () => {
    const { ctx, orgSlug } = await newOwner();
    await createExport(db, ctx, { name: 'otel', kind: 'otlp_logs', url: `${origin}/v1/logs` });
    const ids = await seedEvents(ctx.organizationId, 4);
    await work(options(), async () => hits.length >= 1, 5);
    const hit = hits[0]!;
    expect(hit.headers['content-type']).toBe('application/json');
    const body = JSON.parse(hit.body) as {
      resourceLogs: Array<{
        resource: { attributes: Array<{ key: string; value: { stringValue: string } }> };
        scopeLogs: Array<{
          scope: { name: string };
          logRecords: Array<{ timeUnixNano: string; severityText: string; body: { stringValue: string } }>;
        }>;
      }>;
    };
    const [resource] = body.resourceLogs;
    expect(resource!.resource.attributes).toContainEqual({
      key: 'portcullis.organization',
      value: { stringValue: orgSlug },
    });
    const records = resource!.scopeLogs[0]!.logRecords;
    expect(records.map((r) => (JSON.parse(r.body.stringValue) as { id: string }).id).sort()).toEqual(
      [...ids].sort(),
    );
    expect(records.every((r) => /^\d{19}$/.test(r.timeUnixNano))).toBe(true);
    expect(new Set(records.map((r) => r.severityText))).toEqual(new Set(['INFO', 'WARN']));
  });

  it('refuses http and credentials in the URL, private addresses at send time, non-admins, and another organization', async () => {
    const { ctx, orgSlug } = await newOwner();
    await expect(
      createExport(db, ctx, { name: 'x', kind: 'https', url: 'http://siem.example.com/in' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/https/) });
    await expect(
      createExport(db, ctx, { name: 'x', kind: 'https', url: 'https://u:p@siem.example.com/in' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/user name or password/) });
    await expect(
      createExport(db, ctx, { name: 'x', kind: 'syslog' as 'https', url: 'https://a.example' }),
    ).rejects.toMatchObject({ status: 400 });
    const editor = await addMember(ctx.organizationId, orgSlug, 'editor');
    await expect(
      createExport(db, editor.ctx, { name: 'x', kind: 'https', url: 'https://siem.example.com/in' }),
    ).rejects.toMatchObject({ status: 403 });
    expect(await db.auditExport.count()).toBe(0);

    // https to loopback: stored (it could be public DNS), refused by the address guard when sending.
    const loop = await createExport(db, ctx, { name: 'loop', kind: 'https', url: 'https://127.0.0.1:1/in' });
    await seedEvents(ctx.organizationId, 1);
    await work(options({ privateOrigins: [] }), async () => false, 2);
    const refused = await db.auditExport.findUniqueOrThrow({ where: { id: loop.id } });
    expect(refused.exportedCount).toBe(0);
    expect(refused.lastError).toMatch(/private/i);

    const other = await newOwner('Other');
    await expect(deleteExport(db, other.ctx, loop.id)).rejects.toMatchObject({ status: 404 });
    await expect(setExportEnabled(db, other.ctx, loop.id, false)).rejects.toMatchObject({ status: 404 });
    expect(await listExports(db, other.ctx)).toEqual([]);
    await deleteExport(db, ctx, loop.id);
    expect(
      await db.adminEvent.findMany({
        where: { organizationId: ctx.organizationId, action: { startsWith: 'audit_export.' } },
        select: { action: true },
        orderBy: { createdAt: 'asc' },
      }),
    ).toEqual([{ action: 'audit_export.create' }, { action: 'audit_export.delete' }]);
  });
});

const { getRetention, setRetention } = await import('../src/modules/audit-export/retention.ts');

describe('audit retention setting', () => {
  it('an admin may shorten the operator’s period, never lengthen it; clearing returns to the default', async () => {
    const { ctx, orgSlug } = await newOwner();
    const operator = Number(process.env.AUDIT_RETENTION_DAYS ?? 90);
    expect(await getRetention(db, ctx)).toEqual({
      operatorDays: operator,
      organizationDays: null,
      effectiveDays: operator,
    });
    expect(await setRetention(db, ctx, 30)).toMatchObject({ organizationDays: 30, effectiveDays: 30 });
    await expect(setRetention(db, ctx, operator + 1)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(`at most ${operator} days`),
    });
    await expect(setRetention(db, ctx, 0)).rejects.toMatchObject({ status: 400 });
    await expect(setRetention(db, ctx, 1.5)).rejects.toMatchObject({ status: 400 });
    const editor = await addMember(ctx.organizationId, orgSlug, 'editor');
    await expect(setRetention(db, editor.ctx, 10)).rejects.toMatchObject({ status: 403 });
    // The refusals changed nothing; the gateway's job reads this column.
    expect(
      (await db.organization.findUniqueOrThrow({ where: { id: ctx.organizationId } })).auditRetentionDays,
    ).toBe(30);
    expect(await setRetention(db, ctx, null)).toMatchObject({
      organizationDays: null,
      effectiveDays: operator,
    });
    expect(
      await db.adminEvent.count({
        where: { organizationId: ctx.organizationId, action: 'organization.audit_retention' },
      }),
    ).toBe(2);
  });
});
