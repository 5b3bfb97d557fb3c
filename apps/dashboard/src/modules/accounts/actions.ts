'use server';

import { AuthError } from 'next-auth';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { signIn, signOut } from '../../auth';
import { env } from '../../env';
import { db } from '../../server/db';
import { AppError } from '../../server/errors';
import { runAction, type ActionResult } from '../../server/action-result';
import { parseForm, safeParseForm, text } from '../../server/form';
import { requireUser } from '../../server/guard';
import { z } from 'zod';
import { resendVerificationEmail } from './email-verification';
import { VERIFICATION_LINK_INVALID } from './auth-errors';
import { signUp } from './signup';
import { signupPolicy } from './signup-policy';
import { tracedAction } from '../../server/spans';

/** The dashboard's public URL for links in e-mails: AUTH_URL, else the host this request came to. */
async function publicOrigin(): Promise<string> {
  const configured = env().AUTH_URL;
  if (configured) return configured;
  const h = await headers();
  return `${h.get('x-forwarded-proto') ?? 'http'}://${h.get('host') ?? 'localhost:3000'}`;
}

const signUpForm = z.object({
  name: text(200),
  email: text(320),
  password: text(1_000),
  organizationName: text(200),
  invitation: text(200),
});
const tokenForm = z.object({ token: text(200) });
const signInForm = z.object({ email: text(320), password: text(1_000), callbackUrl: text(2_000) });

export const signUpAction = tracedAction(
  'accounts.signUp',
  async function signUpAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    try {
      const { invitation, ...rest } = parseForm(signUpForm, form);
      // The outcome is deliberately ignored: a new and a taken address end on the same page.
      await signUp(
        db(),
        { ...rest, invitation: invitation || undefined },
        { policy: signupPolicy(), origin: await publicOrigin() },
      );
    } catch (error) {
      if (error instanceof AppError) return { ok: false, error: error.message, field: error.pointer };
      throw error;
    }
    redirect('/signup/check-email');
  },
);

/** The verification link's confirm button: consumes the link, verifies the address and signs in. */
export const confirmEmailAction = tracedAction(
  'accounts.confirmEmail',
  async function confirmEmailAction(form: FormData): Promise<void> {
    try {
      await signIn('email-link', { token: safeParseForm(tokenForm, form)?.token ?? '', redirect: false });
    } catch (error) {
      if (error instanceof AuthError) redirect(`/signin?error=${VERIFICATION_LINK_INVALID}`);
      throw error;
    }
    redirect('/');
  },
);

/** The "verify your e-mail" banner's resend button. */
export const resendVerificationAction = tracedAction(
  'accounts.resendVerification',
  async function resendVerificationAction(_prev: ActionResult, _form: FormData): Promise<ActionResult> {
    const user = await requireUser();
    const origin = await publicOrigin();
    return runAction(async () => {
      await resendVerificationEmail(db(), user.id, origin);
      return undefined;
    }, `We sent a new link to ${user.email}.`);
  },
);

export const signInAction = tracedAction(
  'accounts.signIn',
  async function signInAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
    const input = safeParseForm(signInForm, form);
    if (!input) return { ok: false, error: 'Email or password is incorrect.' };
    const { callbackUrl, email, password } = input;
    // Only same-site paths, never "//evil.example".
    const target = callbackUrl.startsWith('/') && !callbackUrl.startsWith('//') ? callbackUrl : '/';
    try {
      await signIn('credentials', { email, password, redirect: false });
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
  },
);

export const signOutAction = tracedAction('accounts.signOut', async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: '/signin' });
});

/** The sign-in page's "Continue with <provider>" button (components/oidc-button.tsx). */
export const oidcSignInAction = tracedAction(
  'accounts.oidcSignIn',
  async function oidcSignInAction(): Promise<void> {
    await signIn('oidc', { redirectTo: '/' });
  },
);
