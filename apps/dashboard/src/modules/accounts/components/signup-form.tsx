'use client';

import { startTransition, useActionState, type FormEvent } from 'react';
import Link from 'next/link';
import { Field } from '../../../components/field';
import { FormStatus } from '../../../components/form-status';
import { signUpAction } from '../actions';

const FIELDS = ['name', 'email', 'password', 'organizationName'];

export function SignUpForm({ invitation, emailHint }: { invitation?: string; emailHint?: string }) {
  const [result, action, pending] = useActionState(signUpAction, null);
  // Nothing from the last attempt shows while the next one is on its way.
  const state = pending ? null : result;
  // Dispatching ourselves (not <form action>) keeps what was typed: React resets a form after its action.
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    startTransition(() => action(form));
  };
  const fieldError = (name: string) => (state && !state.ok && state.field === name ? state.error : undefined);
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {invitation ? <input type="hidden" name="invitation" value={invitation} /> : null}
      <Field label="Name" name="name" autoComplete="name" required error={fieldError('name')} />
      <Field
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        hint={emailHint}
        error={fieldError('email')}
      />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={12}
        hint="At least 12 characters."
        error={fieldError('password')}
      />
      <Field
        label="Organization name"
        name="organizationName"
        autoComplete="organization"
        required
        error={fieldError('organizationName')}
      />
      {/* A field's error shows under that field only, not again here. */}
      <FormStatus state={state && !state.ok && FIELDS.includes(state.field ?? '') ? null : state} />
      <button type="submit" className="btn btn-primary w-full" disabled={pending}>
        {pending ? 'Creating account…' : 'Create account'}
      </button>
      <p className="muted text-center">
        Already have an account?{' '}
        <Link href="/signin" className="font-medium text-sky-700 hover:underline">
          Sign in
        </Link>
      </p>
    </form>
  );
}
