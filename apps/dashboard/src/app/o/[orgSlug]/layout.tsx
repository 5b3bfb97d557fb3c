import type { ReactNode } from 'react';
import { listUserOrganizations } from '../../../modules/orgs/membership';
import { OrgShell } from '../../../modules/orgs/components/org-shell';
import { VerifyEmailBanner } from '../../../modules/accounts/components/verify-email-banner';
import { db } from '../../../server/db';
import { requireMembership, requireUser } from '../../../server/guard';

export default async function OrgLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ orgSlug: string }>;
}) {
  const { orgSlug } = await params;
  const user = await requireUser();
  const ctx = await requireMembership(orgSlug, 'viewer');
  const orgs = await listUserOrganizations(db(), user.id);
  return (
    <OrgShell ctx={ctx} user={user} orgs={orgs}>
      {user.emailVerified ? null : <VerifyEmailBanner email={user.email} />}
      {children}
    </OrgShell>
  );
}
