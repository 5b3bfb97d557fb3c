// Sign-up: a user, their organization, and an owner membership, in one transaction.
import type { Db } from '@portcullis/db/client';
import { z } from 'zod';
import { ConflictError, ValidationError } from '../../server/errors';
import { hashPassword, passwordProblem } from './password';
import { createOrganizationInTx } from '../orgs/organizations';

export const signUpInput = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(100, 'Name must be at most 100 characters.'),
  email: z.email('Enter a valid email address.').trim().toLowerCase().max(254),
  password: z.string(),
  organizationName: z.string().trim().min(1, 'Enter an organization name.').max(100, 'Organization name must be at most 100 characters.'),
});
export type SignUpInput = z.input<typeof signUpInput>;

export const EMAIL_TAKEN = 'An account with this email already exists. Sign in instead.';

export async function signUp(db: Db, raw: SignUpInput): Promise<{ userId: string; orgSlug: string }> {
  const parsed = signUpInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(issue.message, String(issue.path[0] ?? ''));
  }
  const input = parsed.data;
  const problem = passwordProblem(input.password);
  if (problem) throw new ValidationError(problem, 'password');
  if (await db.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
    throw new ConflictError(EMAIL_TAKEN, 'email');
  }
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
      const org = await createOrganizationInTx(tx, { name: input.organizationName, ownerId: user.id, ownerLabel: user.email });
      return { userId: user.id, orgSlug: org.slug };
    });
  } catch (error) {
    // Two sign-ups racing on one email: the unique index decides.
    if ((error as { code?: string }).code === 'P2002') throw new ConflictError(EMAIL_TAKEN, 'email');
    throw error;
  }
}
