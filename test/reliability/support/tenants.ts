// Organizations for the dashboard-facing tests, made the way the product makes them: sign-up and
// the dashboard's own module functions for rows, Auth.js over HTTP for the session cookie. Every
// name a tenant owns carries its `marker`, so a response that shows another tenant's data is found
// by a string search.
import { randomBytes } from 'node:crypto';
import { testDb } from '../../../apps/gateway/test/harness.ts';
import { signUp } from '../../../apps/dashboard/src/modules/accounts/signup.ts';
import { createApiKey } from '../../../apps/dashboard/src/modules/api-keys/api-keys.ts';
import { resolveMembership } from '../../../apps/dashboard/src/modules/orgs/membership.ts';
import type { OrgContext } from '../../../apps/dashboard/src/server/context.ts';
import { signIn } from './dashboard.ts';

export interface Tenant {
  label: string;
  marker: string;
  userId: string;
  email: string;
  password: string;
  orgSlug: string;
  ctx: OrgContext;
  /** Cookie header of a signed-in owner. */
  cookie: string;
  /** An admin API key (pck_…). */
  apiKey: string;
}

export async function newTenant(label: string): Promise<Tenant> {
  const db = testDb();
  const marker = `${label}marker${randomBytes(6).toString('hex')}`;
  const email = `${marker}@example.test`;
  const password = `pw ${randomBytes(9).toString('base64url')} long enough`;
  const created = await signUp(
    db,
    { name: `${label} owner ${marker}`, email, password, organizationName: `${label} org ${marker}` },
    { policy: { mode: 'open' }, origin: 'http://localhost' },
  );
  if (!created) throw new Error(`${email} was taken`);
  const { userId, orgSlug } = created;
  const ctx = await resolveMembership(db, userId, orgSlug, 'viewer');
  const session = await signIn(email, password);
  if (!session.cookie) throw new Error(`sign-in of ${email} failed: ${session.status} ${session.location}`);
  const apiKey = (await createApiKey(db, ctx, { name: `${label} key ${marker}`, role: 'admin' })).token;
  return { label, marker, userId, email, password, orgSlug, ctx, cookie: session.cookie, apiKey };
}
