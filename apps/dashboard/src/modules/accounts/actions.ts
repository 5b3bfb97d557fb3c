'use server';

import { AuthError } from 'next-auth';
import { redirect } from 'next/navigation';
import { signIn, signOut } from '../../auth';
import { db } from '../../server/db';
import { AppError } from '../../server/errors';
import type { ActionResult } from '../../server/action-result';
import { signUp } from './signup';

export async function signUpAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const input = {
    name: String(form.get('name') ?? ''),
    email: String(form.get('email') ?? ''),
    password: String(form.get('password') ?? ''),
    organizationName: String(form.get('organizationName') ?? ''),
  };
  let orgSlug: string;
  try {
    ({ orgSlug } = await signUp(db(), input));
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.message, field: error.pointer };
    throw error;
  }
  await signIn('credentials', { email: input.email, password: input.password, redirect: false });
  redirect(`/o/${orgSlug}/servers`);
}

export async function signInAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const callbackUrl = String(form.get('callbackUrl') ?? '');
  // Only same-site paths, never "//evil.example".
  const target = callbackUrl.startsWith('/') && !callbackUrl.startsWith('//') ? callbackUrl : '/';
  try {
    await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      redirect: false,
    });
  } catch (error) {
    if (error instanceof AuthError) {
      const code = (error as AuthError & { code?: string }).code;
      if (code === 'rate_limited') {
        return { ok: false, error: 'Too many failed sign-in attempts. Wait 15 minutes and try again.' };
      }
      return { ok: false, error: 'Email or password is incorrect.' };
    }
    throw error;
  }
  redirect(target);
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: '/signin' });
}
