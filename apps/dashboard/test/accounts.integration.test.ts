import { beforeEach, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, addMember, seedServer, signUpOptions } from './helpers.ts';
import { signUp } from '../src/modules/accounts/signup.ts';
import { verifyCredentials, MAX_FAILURES_PER_EMAIL } from '../src/modules/accounts/signin.ts';
import { createServer } from '../src/modules/servers/servers.ts';
import { createGrant } from '../src/modules/grants/grants.ts';
import { removeMember, leaveOrganization } from '../src/modules/orgs/members.ts';
import { createApiKey } from '../src/modules/api-keys/api-keys.ts';
import { ForbiddenError, ConflictError, ValidationError } from '../src/server/errors.ts';
import { findOrCreateOidcUser, OidcLinkRefused } from '../src/modules/accounts/oidc.ts';

beforeEach(resetDatabase);

describe('sign-up and sign-in', () => {
  it('creates the user, their organization and an owner membership; argon2id hash, no plain password', async () => {
    const { userId, orgSlug } = (await signUp(
      db,
      { name: 'Ada', email: 'Ada@Example.test', password: 'correct horse battery', organizationName: 'Acme' },
      signUpOptions,
    ))!;
    const user = await db.user.findUniqueOrThrow({
      where: { id: userId },
      include: { memberships: { include: { organization: true } } },
    });
    expect(user.email).toBe('ada@example.test');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.memberships).toHaveLength(1);
    expect(user.memberships[0]!.role).toBe('owner');
    expect(user.memberships[0]!.organization.slug).toBe(orgSlug);
    expect(await db.adminEvent.count({ where: { action: 'organization.create' } })).toBe(1);
  });

  it('rejects short passwords', async () => {
    await expect(
      signUp(
        db,
        { name: 'C', email: 'c@example.test', password: 'short', organizationName: 'C' },
        signUpOptions,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('verifies passwords and locks an email after repeated failures', async () => {
    await signUp(
      db,
      { name: 'A', email: 'a@example.test', password: 'correct horse battery', organizationName: 'A' },
      signUpOptions,
    );
    expect(
      (
        await verifyCredentials(db, {
          email: 'a@example.test',
          password: 'correct horse battery',
          ip: '10.0.0.1',
        })
      ).ok,
    ).toBe(true);
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i += 1) {
      expect(
        await verifyCredentials(db, {
          email: 'a@example.test',
          password: 'wrong password!!',
          ip: '10.0.0.1',
        }),
      ).toEqual({ ok: false, reason: 'invalid' });
    }
    // Even the right password is refused while the limit holds.
    expect(
      await verifyCredentials(db, {
        email: 'a@example.test',
        password: 'correct horse battery',
        ip: '10.0.0.2',
      }),
    ).toEqual({ ok: false, reason: 'rate_limited' });
  });
});

describe('roles', () => {
  it('viewers cannot change anything; editors can; admins manage members and keys', async () => {
    const owner = await newOwner();
    const viewer = await addMember(owner.ctx.organizationId, owner.orgSlug, 'viewer');
    const editor = await addMember(owner.ctx.organizationId, owner.orgSlug, 'editor');
    const server = await seedServer(owner.ctx.organizationId);
    await expect(
      createServer(db, viewer.ctx, { name: 'x', transport: 'stdio', command: 'node' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(createGrant(db, viewer.ctx, { name: 'g', serverId: server.id })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(createGrant(db, editor.ctx, { name: 'g', serverId: server.id })).resolves.toMatchObject({
      grant: { name: 'g' },
    });
    await expect(createApiKey(db, editor.ctx, { name: 'k' })).rejects.toBeInstanceOf(ForbiddenError);
    const membership = await db.membership.findFirstOrThrow({ where: { userId: viewer.user.id } });
    await expect(removeMember(db, editor.ctx, membership.id)).rejects.toBeInstanceOf(ForbiddenError);
    await removeMember(db, owner.ctx, membership.id);
    expect(await db.membership.count({ where: { organizationId: owner.ctx.organizationId } })).toBe(2);
  });

  it('keeps at least one owner', async () => {
    const owner = await newOwner();
    await expect(leaveOrganization(db, owner.ctx)).rejects.toBeInstanceOf(ConflictError);
    expect(await db.membership.count({ where: { organizationId: owner.ctx.organizationId } })).toBe(1);
  });

  it('keeps one owner when two owners leave at the same moment', async () => {
    for (let round = 0; round < 5; round += 1) {
      const owner = await newOwner();
      const second = await addMember(owner.ctx.organizationId, owner.orgSlug, 'owner');
      const results = await Promise.allSettled([
        leaveOrganization(db, owner.ctx),
        leaveOrganization(db, second.ctx),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(
        await db.membership.count({ where: { organizationId: owner.ctx.organizationId, role: 'owner' } }),
      ).toBe(1);
    }
  });

  it('an API key cannot carry more power than its creator', async () => {
    const owner = await newOwner();
    const admin = await addMember(owner.ctx.organizationId, owner.orgSlug, 'admin');
    await expect(createApiKey(db, admin.ctx, { name: 'k', role: 'owner' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const key = await createApiKey(db, admin.ctx, { name: 'k', role: 'editor' });
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(key.token.startsWith('pck_')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(key.token);
  });
});

describe('OIDC sign-in', () => {
  it('links a new identity to an existing user only when the provider verified the email', async () => {
    const { userId } = (await signUp(
      db,
      { name: 'Ada', email: 'ada@example.test', password: 'correct horse battery', organizationName: 'Acme' },
      signUpOptions,
    ))!;
    // (Ada has verified her address here; email-verification.integration.test.ts covers the unverified case.)
    await db.user.update({ where: { id: userId }, data: { emailVerified: new Date() } });
    const unverified = {
      email: 'ADA@example.test',
      name: 'Mallory',
      subject: 'idp-mallory',
      emailVerified: false,
    };
    await expect(findOrCreateOidcUser(db, unverified)).rejects.toBeInstanceOf(OidcLinkRefused);
    expect(await db.account.count({ where: { userId } })).toBe(0);
    // Verified: linked, and the same identity signs in as that user from then on.
    expect(
      await findOrCreateOidcUser(db, {
        email: 'ada@example.test',
        name: 'Ada',
        subject: 'idp-ada',
        emailVerified: true,
      }),
    ).toBe(userId);
    expect(
      await findOrCreateOidcUser(db, {
        email: 'ada@example.test',
        name: 'Ada',
        subject: 'idp-ada',
        emailVerified: false,
      }),
    ).toBe(userId);
    // A new email gets its own user and organization, verified or not.
    const fresh = await findOrCreateOidcUser(db, {
      email: 'new@example.test',
      name: null,
      subject: 'idp-new',
      emailVerified: false,
    });
    expect(fresh).not.toBe(userId);
    const user = await db.user.findUniqueOrThrow({ where: { id: fresh }, include: { memberships: true } });
    expect(user.emailVerified).toBeNull();
    expect(user.memberships).toHaveLength(1);
  });
});
