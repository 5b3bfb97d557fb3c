// Sign-up: a user, their organization and an owner membership, in one transaction, then a
// verification link by e-mail. It never reveals whether an address already has an account: a taken
// address gets the same answer after the same work (the password is hashed either way), and its
// owner gets a mail saying someone tried.
import type { Db } from '@portcullis/db/client';
import { z } from 'zod';
import { ValidationError } from '../../server/errors';
import { hashPassword, passwordProblem } from './password';
import { createOrganizationInTx } from '../orgs/organizations';
import { findInvitation } from '../orgs/members';
import { sendMail } from '../mail/send-mail';
import { sendVerificationEmail } from './email-verification';
import { domainsRefusal, emailDomainAllowed, INVITATION_REQUIRED, type SignupPolicy } from './signup-policy';

export const signUpInput = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(100, 'Name must be at most 100 characters.'),
  email: z.email('Enter a valid email address.').trim().toLowerCase().max(254),
  password: z.string(),
  organizationName: z
    .string()
    .trim()
    .min(1, 'Enter an organization name.')
    .max(100, 'Organization name must be at most 100 characters.'),
  invitation: z.string().max(200).optional(),
});
export type SignUpInput = z.input<typeof signUpInput>;

export interface SignUpOptions {
  policy: SignupPolicy;
  /** Where links in the e-mails point (the dashboard's public URL). */
  origin: string;
}

/** What the caller may tell the person signing up: the same for a new and a taken address. */
export const SIGNUP_DONE =
  'Check your e-mail: we sent a link to finish signing up. Already have an account? Sign in.';

/**
 * Returns the created user internally (tests, seeding); callers answering a person must not branch
 * on it. Throws ValidationError only for problems that do not depend on whether the address exists.
 */
export async function signUp(
  db: Db,
  raw: SignUpInput,
  options: SignUpOptions,
): Promise<{ userId: string; orgSlug: string } | null> {
  const parsed = signUpInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(issue.message, String(issue.path[0] ?? ''));
  }
  const input = parsed.data;
  const problem = passwordProblem(input.password);
  if (problem) throw new ValidationError(problem, 'password');
  const { policy } = options;
  if (policy.mode === 'domains' && !emailDomainAllowed(input.email, policy.domains))
    throw new ValidationError(domainsRefusal(policy.domains), 'email');
  let openInvitation: {
    id: string;
    organizationId: string;
    role: 'owner' | 'admin' | 'editor' | 'viewer';
  } | null = null;
  if (policy.mode === 'invite') {
    const invitation = input.invitation ? await findInvitation(db, input.invitation) : null;
    if (!invitation) throw new ValidationError(INVITATION_REQUIRED, 'email');
    if (invitation.email && invitation.email !== input.email)
      throw new ValidationError(
        `This invitation is for another address; sign up with the address it was sent to.`,
        'email',
      );
    // An invitation bound to an address is accepted after that address is verified; an open one
    // is used up here, so one link cannot open the door to any number of accounts.
    if (!invitation.email)
      openInvitation = {
        id: invitation.id,
        organizationId: invitation.organizationId,
        role: invitation.role,
      };
  }
  const started = performance.now();
  // Hashed in both branches: noticing a taken address must cost what creating an account costs.
  const passwordHash = await hashPassword(input.password);
  const outcome = await createOrNotify(db, input, passwordHash, openInvitation, options.origin);
  // Creating an account (user, organization, link) takes longer than noticing a taken address; both
  // end no earlier than this, so a stopwatch cannot tell them apart either.
  const left = SIGNUP_MIN_MS - (performance.now() - started);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  return outcome;
}

/** Every sign-up that passes validation takes at least this long (a few times the real work). */
export const SIGNUP_MIN_MS = 300;

async function createOrNotify(
  db: Db,
  input: z.output<typeof signUpInput>,
  passwordHash: string,
  openInvitation: {
    id: string;
    organizationId: string;
    role: 'owner' | 'admin' | 'editor' | 'viewer';
  } | null,
  origin: string,
): Promise<{ userId: string; orgSlug: string } | null> {
  const existing = await db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) {
    await notifyOwnerOfAttempt(input.email, origin);
    return null;
  }
  let created: { userId: string; orgSlug: string };
  try {
    created = await db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
      const org = await createOrganizationInTx(tx, {
        name: input.organizationName,
        ownerId: user.id,
        ownerLabel: user.email,
      });
      if (openInvitation) {
        const { count } = await tx.invitation.updateMany({
          where: { id: openInvitation.id, acceptedAt: null, revokedAt: null },
          data: { acceptedAt: new Date() },
        });
        if (!count)
          throw new ValidationError('This invitation was used a moment ago; ask for a new one.', 'email');
        await tx.membership.create({
          data: { organizationId: openInvitation.organizationId, userId: user.id, role: openInvitation.role },
        });
      }
      return { userId: user.id, orgSlug: org.slug };
    });
  } catch (error) {
    // Two sign-ups racing on one email: the unique index decides, and the loser looks like any taken address.
    if ((error as { code?: string }).code === 'P2002') {
      await notifyOwnerOfAttempt(input.email, origin);
      return null;
    }
    throw error;
  }
  await sendVerificationEmail(db, { id: created.userId, email: input.email }, origin);
  return created;
}

async function notifyOwnerOfAttempt(email: string, origin: string): Promise<void> {
  await sendMail({
    to: email,
    subject: 'Someone tried to sign up to Portcullis with your address',
    text: [
      'Someone just tried to create a Portcullis account with this e-mail address, which already has one.',
      '',
      `If it was you, sign in instead: ${origin.replace(/\/+$/, '')}/signin`,
      'If it was not you, no account was created and you need not do anything.',
    ].join('\n'),
  });
}
