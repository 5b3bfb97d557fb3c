import { beforeEach, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { listAuditEvents } from '../src/modules/audit/audit.ts';
import { auditExportStream } from '../src/modules/audit/export.ts';

beforeEach(resetDatabase);

/** A spreadsheet's CSV reader: quoted fields, the given delimiter, rows on newlines outside quotes. */
function readCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter || c === '\n') {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else field += c;
  }
  return rows;
}

describe('audit log', () => {
  it('keyset pagination visits every row once, newest first, including rows sharing a timestamp', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const base = Date.now() - 1_000_000;
    const decisions = ['allow', 'deny', 'rate_limited'] as const;
    await db.auditEvent.createMany({
      data: Array.from({ length: 137 }, (_, i) => ({
        organizationId: ctx.organizationId,
        serverId: server.id,
        toolName: i % 2 ? 'leave_community' : 'get_tweet',
        method: 'tools/call',
        decision: decisions[i % 3]!,
        // Groups of three share a timestamp, so the id tiebreak matters.
        createdAt: new Date(base + Math.floor(i / 3) * 1000),
      })),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listAuditEvents(db, ctx, {}, { cursor, limit: 20 });
      seen.push(...page.rows.map((r) => r.id));
      for (let i = 1; i < page.rows.length; i += 1) {
        const a = page.rows[i - 1]!;
        const b = page.rows[i]!;
        expect(
          a.createdAt.getTime() > b.createdAt.getTime() ||
            (a.createdAt.getTime() === b.createdAt.getTime() && a.id > b.id),
        ).toBe(true);
      }
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(7);
    expect(new Set(seen).size).toBe(137);

    const denied = await listAuditEvents(
      db,
      ctx,
      { decision: 'deny', tool: 'leave_community' },
      { limit: 500 },
    );
    expect(denied.rows.every((r) => r.decision === 'deny' && r.toolName === 'leave_community')).toBe(true);
    expect(denied.rows.length).toBe(
      Array.from({ length: 137 }, (_, i) => i).filter((i) => i % 3 === 1 && i % 2 === 1).length,
    );

    const csv = await new Response(auditExportStream(db, ctx, { decision: 'deny' }, 'csv')).text();
    expect(csv.trim().split('\n')).toHaveLength(1 + 46);
  });

  it('never shows another organization’s events', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    await db.auditEvent.create({
      data: { organizationId: b.ctx.organizationId, method: 'tools/call', decision: 'allow' },
    });
    expect((await listAuditEvents(db, a.ctx, {})).rows).toHaveLength(0);
  });

  it('CSV export neutralises formulas after leading whitespace or newlines and in ;-separated locales', async () => {
    const { ctx } = await newOwner();
    const hostile = [
      '=HYPERLINK("http://evil.test","x")',
      ' =1+1',
      "\n=cmd|' /C calc'!A0",
      '\t+SUM(1)',
      '\r-2+3',
      '  @SUM(A1)',
      'ok;=HYPERLINK("http://evil.test")',
      'ok,=1+1',
    ];
    for (const reason of hostile) {
      await db.auditEvent.create({
        data: {
          organizationId: ctx.organizationId,
          method: 'tools/call',
          decision: 'deny',
          toolName: reason,
          reason,
        },
      });
    }
    const csv = await new Response(auditExportStream(db, ctx, {}, 'csv')).text();
    for (const delimiter of [',', ';']) {
      const rows = readCsv(csv, delimiter).slice(1);
      expect(rows).toHaveLength(hostile.length);
      for (const cell of rows.flat())
        expect(cell, `cell ${JSON.stringify(cell)} (split on "${delimiter}")`).not.toMatch(/^\s*[=+\-@]/);
    }
    // Neutralised, not lost: the value is there after the apostrophe.
    const cells = readCsv(csv, ',').slice(1).flat();
    for (const reason of hostile)
      expect(cells).toContain(/^\s*[=+\-@]|^[\t\r]/.test(reason) ? `'${reason}` : reason);
  });
});
