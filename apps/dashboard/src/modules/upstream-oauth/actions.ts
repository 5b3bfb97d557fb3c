'use server';

import { runAction, type ActionResult } from '../../server/action-result';
import { requireMembership } from '../../server/guard';
import { discoverSignIn, summarise, type SignInSummary } from './discovery';
import { tracedAction } from '../../server/spans';

/** The registration form's "does this server need sign-in?" check (nothing is stored). */
export const checkSignInAction = tracedAction(
  'upstream-oauth.checkSignIn',
  async function checkSignInAction(
    orgSlug: string,
    url: string,
  ): Promise<ActionResult<SignInSummary | null>> {
    await requireMembership(orgSlug, 'editor');
    return await runAction(async () => {
      const found = await discoverSignIn(url.slice(0, 2_000));
      return found ? summarise(found) : null;
    });
  },
);
