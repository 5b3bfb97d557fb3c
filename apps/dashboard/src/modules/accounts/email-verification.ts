// E-mail verification: a single-use secret, valid for 24 hours, stored only as its SHA-256 hash in
// Auth.js's verification_tokens table, bound to the user and to the address it was sent to.
import type { Db } from '@portcullis/db/client';
import { hashToken, issueToken, looksLikeToken } from '@portcullis/crypto/tokens';
import { sendMail } from '../mail/send-mail';
import { ConflictError } from '../../server/errors';

export const VERIFICATION_TTL_MS = 24 * 3_600_000;
/** A resend within this time of the last link is refused (the inbox is not a place to flood). */
export const RESEND_INTERVAL_MS = 60_000;
const PREFIX = 'verify-email:';

function identifierFor(user: { id: string; email: string }): string {
  return `${PREFIX}${user.id}:${user.email}`;
}

export function verificationLink(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/verify-email/${token}`;
}

/** Replaces any earlier link of this user with a new one, and mails it. */
export async function sendVerificationEmail(
  db: Db,
  user: { id: string; email: string },
  origin: string,
): Promise<void> {
  const issued = issueToken('emailVerification');
  const identifier = identifierFor(user);
  await db.$transaction([
    db.verificationToken.deleteMany({ where: { identifier } }),
    db.verificationToken.create({
      data: { identifier, token: issued.hash, expires: new Date(Date.now() + VERIFICATION_TTL_MS) },
    }),
  ]);
  await sendMail({
    to: user.email,
    subject: 'Confirm your e-mail address for Portcullis',
    text: [
      'Open this link to confirm your e-mail address and sign in to Portcullis (valid for 24 hours, once):',
      '',
      verificationLink(origin, issued.token),
      '',
      'If you did not create a Portcullis account, ignore this message.',
    ].join('\n'),
  });
}

/** The resend button: refused for verified users and within a minute of the last link. */
export async function resendVerificationEmail(db: Db, userId: string, origin: string): Promise<void> {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { id: true, email: true, emailVerified: true },
  });
  if (user.emailVerified) throw new ConflictError('Your e-mail address is already verified.');
  const last = await db.verificationToken.findFirst({
    where: { identifier: identifierFor(user) },
    select: { expires: true },
  });
  if (last && last.expires.getTime() - VERIFICATION_TTL_MS > Date.now() - RESEND_INTERVAL_MS) {
    throw new ConflictError(
      'A link was sent less than a minute ago; check your inbox (and spam folder) before asking again.',
    );
  }
  await sendVerificationEmail(db, user, origin);
}

/**
 * Consumes a link: the row is deleted whatever happens next (single use), and the user is marked
 * verified only when the link is unexpired and the user still has the address it was sent to.
 */
export async function consumeVerificationToken(
  db: Db,
  token: string,
): Promise<{ id: string; email: string; name: string | null } | null> {
  if (!looksLikeToken('emailVerification', token)) return null;
  const hash = hashToken(token);
  return db.$transaction(async (tx) => {
    const rows = await tx.verificationToken.findMany({
      where: { token: hash, identifier: { startsWith: PREFIX } },
      take: 1,
    });
    const row = rows[0];
    if (!row) return null;
    const { count } = await tx.verificationToken.deleteMany({
      where: { identifier: row.identifier, token: hash },
    });
    if (count !== 1 || row.expires <= new Date()) return null;
    const rest = row.identifier.slice(PREFIX.length);
    const split = rest.indexOf(':');
    const userId = rest.slice(0, split);
    const email = rest.slice(split + 1);
    const user = await tx.user.findFirst({
      where: { id: userId, email },
      select: { id: true, email: true, name: true, emailVerified: true },
    });
    if (!user) return null;
    if (!user.emailVerified)
      await tx.user.update({ where: { id: user.id }, data: { emailVerified: new Date() } });
    return { id: user.id, email: user.email, name: user.name };
  });
}
