// Full arguments and results by choice: off by default, per server and per tool, admins only, and
// every change in the admin trail.
import { beforeEach, describe, expect, it } from 'vitest';
import { addMember, db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import {
  auditContentSettings,
  setServerAuditContent,
  setToolAuditContent,
} from '../src/modules/servers/audit-content.ts';

beforeEach(resetDatabase);

describe('audit content settings', () => {
  it('start redacted, change per server and per tool by admins, and land in the admin trail', async () => {
    const { ctx, orgSlug } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    expect(await auditContentSettings(db, ctx, server.id)).toMatchObject({
      server: 'redacted',
      overrides: [],
    });

    const editor = await addMember(ctx.organizationId, orgSlug, 'editor');
    await expect(setServerAuditContent(db, editor.ctx, server.id, 'full')).rejects.toThrow();

    await setServerAuditContent(db, ctx, server.id, 'full');
    await setToolAuditContent(db, ctx, server.id, 'delete_tweet', 'redacted');
    await setToolAuditContent(db, ctx, server.id, 'get_tweet', 'full');
    await setToolAuditContent(db, ctx, server.id, 'get_tweet', 'inherit');
    const settings = await auditContentSettings(db, ctx, server.id);
    expect(settings.server).toBe('full');
    expect(settings.overrides).toEqual([{ toolName: 'delete_tweet', mode: 'redacted' }]);
    await expect(setToolAuditContent(db, ctx, server.id, 'no_such_tool', 'full')).rejects.toThrow(
      /not in this server's catalog/,
    );

    const trail = await db.adminEvent.findMany({
      where: { organizationId: ctx.organizationId, action: { endsWith: 'audit_content' } },
      orderBy: { createdAt: 'asc' },
    });
    expect(trail.map((e) => [e.action, e.details])).toEqual([
      ['server.audit_content', { from: 'redacted', to: 'full' }],
      ['tool.audit_content', { serverId: server.id, from: 'server setting', to: 'redacted' }],
      ['tool.audit_content', { serverId: server.id, from: 'server setting', to: 'full' }],
      ['tool.audit_content', { serverId: server.id, from: 'full', to: 'server setting' }],
    ]);
  });
});
