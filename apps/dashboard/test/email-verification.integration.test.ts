// E-mail verification: a single-use, expiring link stored only as a hash; required before accepting
// an invitation sent to the address or linking an SSO identity to the account.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '@portcullis/crypto/tokens';
import { captureLoggedMail, db, newOwner, resetDatabase, signUpOptions } from './helpers.ts';
import { signUp } from '../src/modules/accounts/signup.ts';
import {
  consumeVerificationToken,
  resendVerificationEmail,
} from '../src/modules/accounts/email-verification.ts';
import { findOrCreateOidcUser, OidcLinkRefused } from '../src/modules/accounts/oidc.ts';
import { acceptInvitation, createInvitation } from '../src/modules/orgs/members.ts';
import { ConflictError, ForbiddenError } from '../src/server/errors.ts';

beforeEach(resetDatabase);
let mail: ReturnType<typeof captureLoggedMail>;
beforeEach(() => {
  mail = captureLoggedMail();
});
afterEach(() => mail.restore());

async function newUser(email: string) {
  return (await signUp(
    db,
    { name: 'Lee', email, password: 'correct horse battery', organizationName: 'Lee Co' },
    signUpOptions,
  ))!;
}

describe('e-mail verification', () => {
  it('mails a link (to the log without SMTP) whose secret is stored only hashed, works once, and expires', async () => {
    const { userId } = await newUser('lee@example.test');
    const token = mail.link('lee@example.test');
    expect(token).toMatch(/^pcv_[A-Za-z0-9_-]{40,}$/);
    expect(mail.mails().find((m) => m.to === 'lee@example.test')!.text).toContain(
      `http://dashboard.test/verify-email/${token}`,
    );
    const rows = await db.verificationToken.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token).toBe(hashToken(token!));
    expect(JSON.stringify(rows)).not.toContain(token);
    expect((await db.user.findUniqueOrThrow({ where: { id: userId } })).emailVerified).toBeNull();

    expect(await consumeVerificationToken(db, token!)).toMatchObject({ id: userId });
    expect((await db.user.findUniqueOrThrow({ where: { id: userId } })).emailVerified).toBeInstanceOf(Date);
    expect(await consumeVerificationToken(db, token!)).toBeNull();

    // Expired: refused, and gone.
    const other = await newUser('kim@example.test');
    const late = mail.link('kim@example.test')!;
    await db.verificationToken.updateMany({
      where: { token: hashToken(late) },
      data: { expires: new Date(Date.now() - 1) },
    });
    expect(await consumeVerificationToken(db, late)).toBeNull();
    expect((await db.user.findUniqueOrThrow({ where: { id: other.userId } })).emailVerified).toBeNull();
    expect(await db.verificationToken.count({ where: { token: hashToken(late) } })).toBe(0);
  });

  it('resend replaces the old link, waits a minute between links, and stops once verified', async () => {
    const { userId } = await newUser('lee@example.test');
    const first = mail.link('lee@example.test')!;
    await expect(resendVerificationEmail(db, userId, 'http://dashboard.test')).rejects.toBeInstanceOf(
      ConflictError,
    );
    await db.verificationToken.updateMany({ data: { expires: new Date(Date.now() + 23 * 3_600_000) } });
    await resendVerificationEmail(db, userId, 'http://dashboard.test');
    const second = mail.link('lee@example.test')!;
    expect(second).not.toBe(first);
    expect(await consumeVerificationToken(db, first)).toBeNull();
    expect(await consumeVerificationToken(db, second)).toMatchObject({ id: userId });
    await expect(resendVerificationEmail(db, userId, 'http://dashboard.test')).rejects.toThrow(
      /already verified/,
    );
  });

  it('an invitation sent to an address is accepted only once that address is verified', async () => {
    const admin = await newOwner('Inviting');
    const { userId } = await newUser('lee@example.test');
    const invitation = await createInvitation(db, admin.ctx, { role: 'editor', email: 'lee@example.test' });
    await expect(
      acceptInvitation(db, { id: userId, email: 'lee@example.test' }, invitation.token),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(await db.membership.count({ where: { userId, organizationId: admin.ctx.organizationId } })).toBe(
      0,
    );
    await consumeVerificationToken(db, mail.link('lee@example.test')!);
    await expect(
      acceptInvitation(db, { id: userId, email: 'lee@example.test' }, invitation.token),
    ).resolves.toEqual({ orgSlug: admin.orgSlug });
  });

  it('an SSO identity is never linked to an unverified account, and a provider-verified address counts as verified', async () => {
    // Mallory signs up first with Ada's address (she cannot read Ada's mail, so it stays unverified).
    const squatted = await newUser('ada@example.test');
    const ada = { email: 'ada@example.test', name: 'Ada', subject: 'idp-ada', emailVerified: true };
    await expect(findOrCreateOidcUser(db, ada)).rejects.toBeInstanceOf(OidcLinkRefused);
    expect(await db.account.count({ where: { userId: squatted.userId } })).toBe(0);
    // Once the address is verified here, the provider-verified identity links.
    await consumeVerificationToken(db, mail.link('ada@example.test')!);
    expect(await findOrCreateOidcUser(db, ada)).toBe(squatted.userId);
    // A new SSO user with a provider-verified address is verified; with an unverified one, not.
    const kim = await findOrCreateOidcUser(db, {
      email: 'kim@example.test',
      name: null,
      subject: 'idp-kim',
      emailVerified: true,
    });
    expect((await db.user.findUniqueOrThrow({ where: { id: kim } })).emailVerified).toBeInstanceOf(Date);
    const lee = await findOrCreateOidcUser(db, {
      email: 'lee@example.test',
      name: null,
      subject: 'idp-lee',
      emailVerified: false,
    });
    expect((await db.user.findUniqueOrThrow({ where: { id: lee } })).emailVerified).toBeNull();
    // The same identity later, now verified by the provider: that verifies the address here too.
    await findOrCreateOidcUser(db, {
      email: 'lee@example.test',
      name: null,
      subject: 'idp-lee',
      emailVerified: true,
    });
    expect((await db.user.findUniqueOrThrow({ where: { id: lee } })).emailVerified).toBeInstanceOf(Date);
  });
});
