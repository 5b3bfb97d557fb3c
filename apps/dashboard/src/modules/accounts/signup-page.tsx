import Link from 'next/link';
import { AuthCard } from './components/auth-card';
import { SignUpForm } from './components/signup-form';
import { signupPolicy } from './signup-policy';

export function SignUpPage({ invitation }: { invitation?: string }) {
  const policy = signupPolicy();
  if (policy.mode === 'invite' && !invitation) {
    return (
      <AuthCard title="Create your account">
        <p className="text-sm text-slate-700">
          Accounts on this dashboard are by invitation: open the invitation link an admin sent you.{' '}
          <Link href="/signin" className="font-medium text-sky-700 hover:underline">
            Sign in
          </Link>{' '}
          if you already have an account.
        </p>
      </AuthCard>
    );
  }
  const hint = policy.mode === 'domains' ? `Addresses at ${policy.domains.join(', ')}.` : undefined;
  return (
    <AuthCard title="Create your account">
      <SignUpForm invitation={invitation} emailHint={hint} />
    </AuthCard>
  );
}
