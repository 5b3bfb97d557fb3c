'use client';

import { startTransition, useActionState, type FormEvent } from 'react';
import Link from 'next/link';
import { Field } from '../../../components/field';
import { FormStatus } from '../../../components/form-status';
import { signInAction } from '../actions';

export function SignInForm({ callbackUrl }: { callbackUrl: string }) {
  const [result, action, pending] = useActionState(signInAction, null);
  // Nothing from the last attempt shows while the next one is on its way.
  const state = pending ? null : result;
  // Dispatching ourselves (not <form action>) keeps what was typed: React resets a form after its action.
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    startTransition(() => action(form));
  };
  return (
    <form onSubmit={submit} className="space-y-4">
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <Field label="Email" name="email" type="email" autoComplete="email" required />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      <FormStatus state={state} />
      <button type="submit" className="btn btn-primary w-full" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="muted text-center">
        New here?{' '}
        <Link href="/signup" className="font-medium text-sky-700 hover:underline">
          Create an account
        </Link>
      </p>
    </form>
  );
}
