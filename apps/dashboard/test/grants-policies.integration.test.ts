import { beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '@portcullis/crypto/tokens';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { createGrant, listGrants, revokeGrant } from '../src/modules/grants/grants.ts';
import {
  listPolicyVersions,
  recommendedPolicyFor,
  rollbackPolicy,
  savePolicy,
} from '../src/modules/policies/policies.ts';
import { createServer } from '../src/modules/servers/servers.ts';
import { decideApproval } from '../src/modules/approvals/approvals.ts';
import { ConflictError, ValidationError } from '../src/server/errors.ts';

beforeEach(resetDatabase);

describe('grants', () => {
  it('returns the token once, stores only its hash, and builds the proxy URLs', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const created = await createGrant(db, ctx, { name: 'laptop', serverId: server.id });
    expect(created.token).toMatch(/^pcg_/);
    expect(created.proxyUrl).toBe(`http://gateway.test:4000/mcp/${server.id}`);
    expect(created.embeddedUrl).toBe(`http://gateway.test:4000/g/${created.token}/mcp`);
    const row = await db.grant.findUniqueOrThrow({ where: { id: created.grant.id } });
    expect(row.tokenHash).toBe(hashToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const listed = await listGrants(db, ctx);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(listed[0]!.tokenPrefix).toBe(created.token.slice(0, 12));
    await revokeGrant(db, ctx, created.grant.id);
    expect((await db.grant.findUniqueOrThrow({ where: { id: created.grant.id } })).revokedAt).not.toBeNull();
    expect(await db.adminEvent.count({ where: { action: { in: ['grant.create', 'grant.revoke'] } } })).toBe(
      2,
    );
  });
});

describe('servers', () => {
  it('encrypts secret headers at rest and never returns them', async () => {
    const { ctx } = await newOwner();
    const server = await createServer(db, ctx, {
      name: 'remote',
      transport: 'streamable_http',
      url: 'https://mcp.example.test/mcp',
      headers: [{ name: 'Authorization', value: 'Bearer super-secret-value' }],
    });
    expect(JSON.stringify(server)).not.toContain('super-secret-value');
    expect(server.secretHeaderNames).toEqual(['Authorization']);
    const raw = await db.$queryRawUnsafe<Array<{ secretHeadersEnc: string }>>(
      'SELECT "secretHeadersEnc" FROM mcp_servers WHERE id = $1',
      server.id,
    );
    expect(raw[0]!.secretHeadersEnc).toMatch(/^v1\./);
    expect(raw[0]!.secretHeadersEnc).not.toContain('super-secret');
  });
});

describe('policies', () => {
  it('saves immutable versions, keeps exactly one active, and rolls back as a new version', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const recommended = await recommendedPolicyFor(db, ctx, server.id);
    expect(Object.keys(recommended.tools ?? {}).sort()).toEqual(['@destructive', '@read', '@write']);
    const v1 = await savePolicy(db, ctx, server.id, recommended);
    const doc2 = {
      ...recommended,
      tools: { ...recommended.tools, send_tweet: { action: 'deny', reason: 'No tweets' } },
    };
    const v2 = await savePolicy(db, ctx, server.id, doc2, 'deny tweets');
    expect([v1.version, v2.version]).toEqual([1, 2]);
    const rolled = await rollbackPolicy(db, ctx, server.id, v1.id);
    expect(rolled.version).toBe(3);
    expect(rolled.document).toEqual(v1.document);
    const versions = await listPolicyVersions(db, ctx, server.id);
    expect(versions.filter((v) => v.active).map((v) => v.version)).toEqual([3]);
    // Earlier rows are unchanged.
    expect((await db.policyVersion.findUniqueOrThrow({ where: { id: v2.id } })).document).toEqual(doc2);
    expect(await db.adminEvent.count({ where: { action: 'policy.save' } })).toBe(3);
  });

  it('rejects invalid documents with the JSON pointer of the problem', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const error = await savePolicy(db, ctx, server.id, {
      version: '1',
      default: 'deny',
      tools: { leave_community: { rate_limit: { max: 3, window: 'fortnight' } } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).pointer).toBe('/tools/leave_community/rate_limit/window');
    expect(await db.policyVersion.count()).toBe(0);
  });

  it('refuses a tenant pattern RE2 cannot compile at save, with the reason and its path', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const error = await savePolicy(db, ctx, server.id, {
      version: '1',
      default: 'deny',
      patterns: { repeated: '(x)\\1' },
      guards: { results: { 'pattern:repeated': 'redact' } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).pointer).toBe('/patterns/repeated');
    expect((error as Error).message).toMatch(/not a valid RE2 pattern \(.+\)/);
    expect(await db.policyVersion.count()).toBe(0);
  });

  it('concurrent saves get distinct version numbers', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const doc = { version: '1', default: 'deny' };
    const saved = await Promise.all(Array.from({ length: 5 }, () => savePolicy(db, ctx, server.id, doc)));
    expect(saved.map((s) => s.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await db.policyVersion.count({ where: { serverId: server.id, active: true } })).toBe(1);
  });
});

describe('approvals', () => {
  it('are decided exactly once, even when two people click at the same time', async () => {
    const { ctx } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const { grant } = await createGrant(db, ctx, { name: 'g', serverId: server.id });
    const approval = await db.approval.create({
      data: {
        organizationId: ctx.organizationId,
        grantId: grant.id,
        serverId: server.id,
        toolName: 'delete_tweet',
        argumentsHash: 'x',
        arguments: { tweet_id: '1' },
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    const results = await Promise.allSettled([
      decideApproval(db, ctx, approval.id, 'approve'),
      decideApproval(db, ctx, approval.id, 'deny'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
    const expired = await db.approval.create({
      data: {
        organizationId: ctx.organizationId,
        grantId: grant.id,
        serverId: server.id,
        toolName: 'delete_tweet',
        argumentsHash: 'y',
        expiresAt: new Date(Date.now() - 1000),
      },
    });
    await expect(decideApproval(db, ctx, expired.id, 'approve')).rejects.toBeInstanceOf(ConflictError);
  });
});
