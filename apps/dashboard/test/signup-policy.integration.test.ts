// SIGNUP_MODE: open, invite (only holders of a valid invitation) or domains (exact match after lower-casing).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLoggedMail, db, newOwner, resetDatabase } from './helpers.ts';
import { signUp } from '../src/modules/accounts/signup.ts';
import { envSchema } from '../src/env.ts';
import { findOrCreateOidcUser, OidcSignupRefused } from '../src/modules/accounts/oidc.ts';
import { createInvitation } from '../src/modules/orgs/members.ts';
import { ValidationError } from '../src/server/errors.ts';

beforeEach(resetDatabase);
let mail: ReturnType<typeof captureLoggedMail>;
beforeEach(() => {
  mail = captureLoggedMail();
});
afterEach(() => mail.restore());

const origin = 'http://dashboard.test';
const form = (email: string, invitation?: string) => ({
  name: 'Sam',
  email,
  password: 'correct horse battery',
  organizationName: 'Sam Co',
  invitation,
});

describe('sign-up policy', () => {
  it('defaults to open, so npm start lets a newcomer sign up', () => {
    const parsed = envSchema.parse({
      DATABASE_URL: 'postgres://x',
      AUTH_SECRET: 'x'.repeat(32),
      PORTCULLIS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    });
    expect(parsed.SIGNUP_MODE).toBe('open');
    expect(envSchema.safeParse({ ...parsed, SIGNUP_MODE: 'everyone' }).success).toBe(false);
  });

  it('domains: exact domain after lower-casing, no subdomains or look-alikes', async () => {
    const policy = { policy: { mode: 'domains', domains: ['a.com', 'b.org'] }, origin } as const;
    expect(await signUp(db, form('Sam@A.COM'), policy)).toMatchObject({ userId: expect.any(String) });
    expect(await signUp(db, form('kim@b.org'), policy)).toMatchObject({ userId: expect.any(String) });
    for (const email of [
      'x@sub.a.com',
      'x@a.com.evil.test',
      'x@evila.com',
      'a.com@evil.test',
      'x@b.org.evil.test',
    ]) {
      await expect(signUp(db, form(email), policy), email).rejects.toThrow(
        /limited to addresses at a\.com, b\.org/,
      );
    }
    expect(await db.user.count()).toBe(2);
    // A new SSO user needs a provider-verified address in an allowed domain.
    await expect(
      findOrCreateOidcUser(
        db,
        { email: 'x@a.com', name: null, subject: 's1', emailVerified: false },
        policy.policy,
      ),
    ).rejects.toBeInstanceOf(OidcSignupRefused);
    await expect(
      findOrCreateOidcUser(
        db,
        { email: 'x@sub.a.com', name: null, subject: 's2', emailVerified: true },
        policy.policy,
      ),
    ).rejects.toBeInstanceOf(OidcSignupRefused);
    expect(
      await findOrCreateOidcUser(
        db,
        { email: 'x@a.com', name: null, subject: 's3', emailVerified: true },
        policy.policy,
      ),
    ).toEqual(expect.any(String));
  });

  it('invite: only with a valid invitation; an open one is used up, a bound one only for its address', async () => {
    const policy = { policy: { mode: 'invite' }, origin } as const;
    const admin = await newOwner('Inviting');
    await expect(signUp(db, form('sam@example.test'), policy)).rejects.toBeInstanceOf(ValidationError);
    await expect(
      signUp(db, form('sam@example.test', 'pci_made-up-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), policy),
    ).rejects.toThrow(/needs an invitation/);

    const open = await createInvitation(db, admin.ctx, { role: 'editor' });
    const sam = await signUp(db, form('sam@example.test', open.token), policy);
    expect(sam).toMatchObject({ userId: expect.any(String) });
    expect(
      await db.membership.findFirst({
        where: { userId: sam!.userId, organizationId: admin.ctx.organizationId },
      }),
    ).toMatchObject({ role: 'editor' });
    // The same link does not let anyone else in.
    await expect(signUp(db, form('kim@example.test', open.token), policy)).rejects.toThrow(
      /needs an invitation/,
    );

    const bound = await createInvitation(db, admin.ctx, { role: 'viewer', email: 'lee@example.test' });
    await expect(signUp(db, form('mallory@example.test', bound.token), policy)).rejects.toThrow(
      /for another address/,
    );
    expect(await signUp(db, form('LEE@example.test', bound.token), policy)).toMatchObject({
      userId: expect.any(String),
    });

    const revoked = await createInvitation(db, admin.ctx, { role: 'viewer' });
    await db.invitation.update({ where: { id: revoked.invitationId }, data: { revokedAt: new Date() } });
    await expect(signUp(db, form('zed@example.test', revoked.token), policy)).rejects.toThrow(
      /needs an invitation/,
    );
    // SSO cannot create users around the rule.
    await expect(
      findOrCreateOidcUser(
        db,
        { email: 'sso@example.test', name: null, subject: 's', emailVerified: true },
        policy.policy,
      ),
    ).rejects.toBeInstanceOf(OidcSignupRefused);
    expect(
      await db.user.count({
        where: {
          email: { in: ['kim@example.test', 'mallory@example.test', 'zed@example.test', 'sso@example.test'] },
        },
      }),
    ).toBe(0);
  });
});
