'use server';
// The consent form's one action: allow (bind the client to a new or existing grant) or deny.
import { redirect } from 'next/navigation';
import { db } from '../../server/db';
import { z } from 'zod';
import { parseForm, text } from '../../server/form';
import { requireUser } from '../../server/guard';
import { denialRedirect, validateAuthorizationRequest } from './authorization-server';
import { approveConsent } from './consent';
import { tracedAction } from '../../server/spans';

// What the person chose; the rest of the form is the client's request, validated above.
const consentForm = z.object({
  decision: text(10),
  grant: z.string().max(200).default('new'),
  grantName: text(200),
});

export const consentAction = tracedAction(
  'oauth.consent',
  async function consentAction(form: FormData): Promise<void> {
    const user = await requireUser();
    const params: Record<string, string | undefined> = {};
    for (const [key, value] of form)
      if (typeof value === 'string' && !key.startsWith('$')) params[key] = value;
    // Everything is checked again: the hidden fields are the client's request, not trusted state.
    const result = await validateAuthorizationRequest(db(), params);
    if (!result.ok) {
      if (result.refusal.redirect) redirect(result.refusal.redirect);
      throw new Error(result.refusal.description);
    }
    const choice = parseForm(consentForm, form);
    if (choice.decision !== 'allow') redirect(denialRedirect(result.request));
    const location = await approveConsent(db(), user.id, result.request, choice.grant, choice.grantName);
    redirect(location);
  },
);
