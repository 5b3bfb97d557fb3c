'use server';
// The consent form's one action: allow (bind the client to a new or existing grant) or deny.
import { redirect } from 'next/navigation';
import { db } from '../../server/db';
import { requireUser } from '../../server/guard';
import { denialRedirect, validateAuthorizationRequest } from './authorization-server';
import { approveConsent } from './consent';

export async function consentAction(form: FormData): Promise<void> {
  const user = await requireUser();
  const params: Record<string, string | undefined> = {};
  for (const [key, value] of form) if (typeof value === 'string' && !key.startsWith('$')) params[key] = value;
  // Everything is checked again: the hidden fields are the client's request, not trusted state.
  const result = await validateAuthorizationRequest(db(), params);
  if (!result.ok) {
    if (result.refusal.redirect) redirect(result.refusal.redirect);
    throw new Error(result.refusal.description);
  }
  if (form.get('decision') !== 'allow') redirect(denialRedirect(result.request));
  const location = await approveConsent(db(), user.id, result.request, String(form.get('grant') ?? 'new'), String(form.get('grantName') ?? ''));
  redirect(location);
}
