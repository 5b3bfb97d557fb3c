// The grants page says which MCP protocol versions (eras) each grant's clients spoke, from the audit
// log: distinct versions, modern (2026-07-28+, stateless) told apart from legacy (sessions), recent
// events only, and only the organization's own grants.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { createGrant, describeProtocolEras, protocolErasByGrant } from '../src/modules/grants/grants.ts';

beforeEach(resetDatabase);

describe('protocol eras per grant', () => {
  it('lists the distinct versions each grant spoke recently, org-scoped', async () => {
    const a = await newOwner('A');
    const b = await newOwner('B');
    const serverA = await seedServer(a.ctx.organizationId);
    const serverB = await seedServer(b.ctx.organizationId);
    const both = (await createGrant(db, a.ctx, { name: 'both eras', serverId: serverA.id })).grant;
    const quiet = (await createGrant(db, a.ctx, { name: 'never used', serverId: serverA.id })).grant;
    const foreign = (await createGrant(db, b.ctx, { name: 'other org', serverId: serverB.id })).grant;
    const event = (
      organizationId: string,
      serverId: string,
      grantId: string,
      protocolVersion: string | null,
      daysAgo = 0,
    ) => ({
      organizationId,
      serverId,
      grantId,
      protocolVersion,
      method: 'tools/call',
      decision: 'allow' as const,
      createdAt: new Date(Date.now() - daysAgo * 24 * 60 * 60_000),
    });
    await db.auditEvent.createMany({
      data: [
        event(a.ctx.organizationId, serverA.id, both.id, '2026-07-28'),
        event(a.ctx.organizationId, serverA.id, both.id, '2025-11-25'),
        event(a.ctx.organizationId, serverA.id, both.id, '2026-07-28'),
        event(a.ctx.organizationId, serverA.id, both.id, null),
        event(a.ctx.organizationId, serverA.id, both.id, '2024-11-05', 45),
        event(b.ctx.organizationId, serverB.id, foreign.id, '2025-06-18'),
      ],
    });
    const eras = await protocolErasByGrant(db, a.ctx, [both.id, quiet.id, foreign.id]);
    expect(eras.get(both.id)).toEqual([
      { version: '2025-11-25', era: 'legacy' },
      { version: '2026-07-28', era: 'modern' },
    ]);
    expect(eras.has(quiet.id)).toBe(false);
    // Another organization's grant id reveals nothing.
    expect(eras.has(foreign.id)).toBe(false);
    expect(describeProtocolEras(eras.get(both.id))).toBe(
      'MCP 2025-11-25 (legacy session), 2026-07-28 (modern, stateless)',
    );
    expect(describeProtocolEras(eras.get(quiet.id))).toBeNull();
  });
});
