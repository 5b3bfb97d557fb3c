// Dynamic client registration is open to anyone: a flood of registrations keeps the table bounded,
// and a client someone authorized is never what makes room.
import { beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase, seedServer } from './helpers.ts';
import { registerOAuthClient } from '../src/modules/oauth/oauth-clients.ts';
import { pruneUnauthorizedRegistrations } from '../src/modules/oauth/oauth-prune.ts';

beforeEach(async () => {
  await resetDatabase();
  await db.oAuthClient.deleteMany({});
});

describe('registration flood', () => {
  it('keeps at most the cap of never-authorized registrations, dropping the oldest, and never an authorized client', async () => {
    const register = async (name: string) =>
      (await registerOAuthClient(db, { client_name: name, redirect_uris: ['http://127.0.0.1:9/cb'] }))
        .client_id as string;
    const authorized = await register('used');
    const client = await db.oAuthClient.findUniqueOrThrow({ where: { clientId: authorized } });
    // An authorization code makes it a client someone consented to.
    const { ctx, userId } = await newOwner();
    const server = await seedServer(ctx.organizationId);
    const grant = await db.grant.create({
      data: {
        organizationId: ctx.organizationId,
        serverId: server.id,
        name: 'g',
        tokenHash: 'f'.repeat(64),
        tokenPrefix: 'pcg_f',
      },
    });
    await db.oAuthAuthorizationCode.create({
      data: {
        codeHash: 'c'.repeat(64),
        clientId: client.id,
        grantId: grant.id,
        userId,
        redirectUri: 'http://127.0.0.1:9/cb',
        codeChallenge: 'x',
        resource: 'r',
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    for (let i = 0; i < 5; i++) await register(`flood ${i}`);
    expect(await pruneUnauthorizedRegistrations(db, 3)).toBe(2);
    const left = await db.oAuthClient.findMany({ orderBy: { createdAt: 'asc' }, select: { name: true } });
    expect(left.map((c) => c.name)).toEqual(['used', 'flood 2', 'flood 3', 'flood 4']);
  });
});
