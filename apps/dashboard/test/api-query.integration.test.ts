// Issue #20: a bad query value is the caller's mistake (400 naming the parameter), never a 500.
import { beforeAll, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { listApprovalsRoute } from '../src/modules/api/v1/approvals.ts';
import { listToolsRoute } from '../src/modules/api/v1/servers.ts';

let key: string;
let serverId: string;

beforeAll(async () => {
  await resetDatabase();
  const { ctx } = await newOwner();
  key = (await createApiKey(db, ctx, { name: 'k', role: 'admin' })).token;
  serverId = (await seedServer(ctx.organizationId)).id;
});

const get = (url: string) => new Request(url, { headers: { authorization: `Bearer ${key}` } });

describe('query parameters', () => {
  it('GET /api/v1/servers/{id}/tools?pin=bogus is 400 naming pin', async () => {
    const res = await listToolsRoute(
      get(`http://dashboard.test/api/v1/servers/${serverId}/tools?pin=bogus`),
      { params: Promise.resolve({ serverId }) },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; pointer: string } };
    expect(body.error.pointer).toBe('/pin');
    expect(body.error.message).toMatch(/^pin: /);
    expect(
      (
        await listToolsRoute(get(`http://dashboard.test/api/v1/servers/${serverId}/tools?pin=approved`), {
          params: Promise.resolve({ serverId }),
        })
      ).status,
    ).toBe(200);
  });

  it('GET /api/v1/approvals?status=bogus is 400 naming status', async () => {
    const res = await listApprovalsRoute(get('http://dashboard.test/api/v1/approvals?status=bogus'), {
      params: Promise.resolve({}),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { pointer: string } }).error.pointer).toBe('/status');
    expect(
      (
        await listApprovalsRoute(get('http://dashboard.test/api/v1/approvals?status=pending'), {
          params: Promise.resolve({}),
        })
      ).status,
    ).toBe(200);
  });
});
