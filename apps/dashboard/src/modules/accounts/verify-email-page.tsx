import { AuthCard } from './components/auth-card';
import { confirmEmailAction } from './actions';

/**
 * The link from the verification e-mail. Opening it changes nothing (mail scanners fetch links);
 * the button consumes it, verifies the address and signs in.
 */
export function VerifyEmailPage({ token }: { token: string }) {
  return (
    <AuthCard title="Confirm your e-mail">
      <p className="text-sm text-slate-700">
        Confirm this address to finish signing up; you will be signed in.
      </p>
      <form action={confirmEmailAction} className="mt-4">
        <input type="hidden" name="token" value={token} />
        <button type="submit" className="btn btn-primary w-full">
          Confirm e-mail address
        </button>
      </form>
    </AuthCard>
  );
}
