// The one gate for pages and server actions: a signed-in user who is a member of the organization
// in the URL with at least `minRole`. Not a member (or no such org) → 404, never a hint.
import { notFound, redirect } from 'next/navigation';
import type { Role } from '@portcullis/db/types';
import { auth } from '../auth';
import { resolveMembership } from '../modules/orgs/membership';
import type { OrgContext } from './context';
import { db } from './db';
import { NotFoundError } from './errors';
import { noteOrganization } from './spans';

export async function requireUser(): Promise<{
  id: string;
  email: string;
  name: string | null;
  emailVerified: Date | null;
}> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) redirect('/signin');
  const user = await db().user.findUnique({
    where: { id },
    select: { id: true, email: true, name: true, emailVerified: true },
  });
  if (!user) redirect('/signin');
  return user;
}

export async function requireMembership(orgSlug: string, minRole: Role = 'viewer'): Promise<OrgContext> {
  const user = await requireUser();
  try {
    const ctx = await resolveMembership(db(), user.id, orgSlug, minRole);
    // The active span (the action's; a page's render) names the organization (server/spans.ts).
    noteOrganization(ctx.organizationId);
    return ctx;
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
}
