// Reviewing the catalog: an editor approves exactly the definition they saw; a definition that
// moved on meanwhile, or a request without the reviewed hash, is refused and nothing changes.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { syncServerTools } from '@portcullis/catalog/sync-server-tools';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { reviewToolRoute } from '../src/modules/api/v1/tools.ts';
import { approveToolChange, listTools } from '../src/modules/catalog/tools.ts';
import { ConflictError, ValidationError } from '../src/server/errors.ts';
import type { OrgContext } from '../src/server/context.ts';
import { db, newOwner } from './helpers.ts';

const tool = (name: string, description: string): Tool => ({
  name,
  description,
  inputSchema: { type: 'object' },
});

describe('catalog review', () => {
  let ctx: OrgContext;
  let serverId: string;

  beforeAll(async () => {
    ctx = (await newOwner('Review')).ctx;
    serverId = (
      await db.mcpServer.create({
        data: { organizationId: ctx.organizationId, name: 'srv', transport: 'stdio', command: 'node' },
      })
    ).id;
    await syncServerTools(db, { organizationId: ctx.organizationId, serverId }, [
      tool('get_tweet', 'Gets a tweet.'),
    ]);
  });

  it('lists a tool added after the first sync as pending, and approves only the definition reviewed', async () => {
    const target = { organizationId: ctx.organizationId, serverId };
    await syncServerTools(db, target, [
      tool('get_tweet', 'Gets a tweet.'),
      tool('delete_account', 'Deletes the account.'),
    ]);
    const [pending] = await listTools(db, ctx, serverId, { pin: 'pending' });
    expect(pending).toMatchObject({ name: 'delete_account', pinState: 'pending', approvedDefinition: null });
    const reviewed = pending!.definitionHash;

    // The server changes the tool while the editor looks at the old definition.
    await syncServerTools(db, target, [
      tool('get_tweet', 'Gets a tweet.'),
      tool('delete_account', 'Deletes the account and every backup.'),
    ]);
    await expect(approveToolChange(db, ctx, pending!.id, reviewed)).rejects.toThrow(ConflictError);
    await expect(approveToolChange(db, ctx, pending!.id, '')).rejects.toThrow(ValidationError);
    expect((await db.tool.findUniqueOrThrow({ where: { id: pending!.id } })).pinState).toBe('pending');

    const [current] = await listTools(db, ctx, serverId, { pin: 'pending' });
    await approveToolChange(db, ctx, current!.id, current!.definitionHash);
    expect(await db.tool.findUniqueOrThrow({ where: { id: current!.id } })).toMatchObject({
      pinState: 'approved',
      approvedHash: current!.definitionHash,
    });
    const trail = await db.adminEvent.findFirst({
      where: { organizationId: ctx.organizationId, action: 'tool.approve' },
    });
    expect(trail?.details).toMatchObject({ name: 'delete_account', hash: current!.definitionHash });
  });

  it('reviews over REST with the same binding: 409 for a stale hash, 400 without one, 200 for the one reviewed', async () => {
    const target = { organizationId: ctx.organizationId, serverId };
    await syncServerTools(db, target, [
      tool('get_tweet', 'Gets a tweet.'),
      tool('delete_account', 'Deletes the account and every backup.'),
      tool('export_all', 'Exports all.'),
    ]);
    const [added] = await listTools(db, ctx, serverId, { pin: 'pending' });
    const key = (await createApiKey(db, ctx, { name: 'automation', role: 'editor' })).token;
    const review = async (body: unknown) => {
      const res = await reviewToolRoute(
        new Request(`http://dashboard.test/api/v1/tools/${added!.id}/review`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        { params: Promise.resolve({ toolId: added!.id }) },
      );
      return {
        status: res.status,
        body: (await res.json()) as { tool?: { pinState: string }; error?: { message: string } },
      };
    };
    expect((await review({ decision: 'approve' })).status).toBe(400);
    const stale = await review({ decision: 'approve', definitionHash: 'f'.repeat(64) });
    expect(stale).toMatchObject({
      status: 409,
      body: { error: { message: expect.stringContaining('changed again while you were reviewing') } },
    });
    expect(await review({ decision: 'block' })).toMatchObject({
      status: 200,
      body: { tool: { pinState: 'blocked' } },
    });
    expect(await review({ decision: 'approve', definitionHash: added!.definitionHash })).toMatchObject({
      status: 200,
      body: { tool: { pinState: 'approved' } },
    });
  });
});
