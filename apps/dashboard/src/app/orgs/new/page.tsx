import { AuthCard } from '../../../modules/accounts/components/auth-card';
import { NewOrgForm } from '../../../modules/orgs/components/new-org-form';
import { requireUser } from '../../../server/guard';

export const metadata = { title: 'New organization' };

export default async function Page() {
  await requireUser();
  return (
    <AuthCard title="Create an organization">
      <NewOrgForm />
    </AuthCard>
  );
}
