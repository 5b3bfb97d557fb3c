'use client';

import { useActionState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { resendVerificationAction } from '../actions';

/** Shown on every organization page until the signed-in user's address is verified. */
export function VerifyEmailBanner({ email }: { email: string }) {
  const [state, action, pending] = useActionState(resendVerificationAction, null);
  return (
    <section
      aria-label="Verify your e-mail"
      className="mb-6 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900"
    >
      <form action={action} className="flex flex-wrap items-center gap-3">
        <p className="flex-1">
          Verify your e-mail address: open the link we sent to <strong>{email}</strong>. Until then you cannot
          accept invitations sent to it or link a single sign-on account.
        </p>
        <button type="submit" className="btn" disabled={pending}>
          {pending ? 'Sending…' : 'Resend link'}
        </button>
      </form>
      <FormStatus state={state} />
    </section>
  );
}
