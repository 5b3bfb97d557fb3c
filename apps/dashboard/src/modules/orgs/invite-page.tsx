import Link from 'next/link';
import { auth } from '../../auth';
import { AuthCard } from '../accounts/components/auth-card';
import { db } from '../../server/db';
import { acceptInvitationAction } from './actions';
import { findInvitation } from './members';

async function isVerified(userId: string): Promise<boolean> {
  const user = await db().user.findUnique({ where: { id: userId }, select: { emailVerified: true } });
  return Boolean(user?.emailVerified);
}

export async function InvitePage({ token }: { token: string }) {
  const invitation = await findInvitation(db(), token);
  const session = await auth();
  if (!invitation) {
    return (
      <AuthCard title="Invitation">
        <p className="text-sm">This invitation is invalid, expired or already used. Ask for a new link.</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title={`Join ${invitation.organization.name}`}>
      <p className="text-sm text-slate-700">You are invited as {invitation.role}.</p>
      {session?.user?.id && invitation.email && !(await isVerified(session.user.id)) ? (
        <p className="mt-4 text-sm" role="alert">
          This invitation is for {invitation.email}. Verify that address first (open the link we e-mailed you,
          or resend it from the banner in the dashboard), then open this invitation again.
        </p>
      ) : session?.user?.id ? (
        <form action={acceptInvitationAction} className="mt-4">
          <input type="hidden" name="token" value={token} />
          <button type="submit" className="btn btn-primary w-full">
            Accept invitation
          </button>
        </form>
      ) : (
        <p className="mt-4 text-sm">
          <Link
            className="text-sky-700 underline"
            href={`/signin?callbackUrl=${encodeURIComponent(`/invite/${token}`)}`}
          >
            Sign in
          </Link>{' '}
          or{' '}
          <Link className="text-sky-700 underline" href={`/signup?invite=${encodeURIComponent(token)}`}>
            create an account
          </Link>{' '}
          first, then open this link again.
        </p>
      )}
    </AuthCard>
  );
}
