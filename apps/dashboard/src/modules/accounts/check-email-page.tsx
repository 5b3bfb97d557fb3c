import Link from 'next/link';
import { AuthCard } from './components/auth-card';

/** Where every sign-up ends, for a new address and a taken one alike. */
export function CheckEmailPage() {
  return (
    <AuthCard title="Check your e-mail">
      <p className="text-sm text-slate-700">
        We sent a link to the address you entered. Open it to confirm the address and sign in; it works once,
        for 24 hours.
      </p>
      <p className="mt-4 text-sm text-slate-700">
        Already have an account?{' '}
        <Link href="/signin" className="font-medium text-sky-700 hover:underline">
          Sign in
        </Link>
      </p>
    </AuthCard>
  );
}
