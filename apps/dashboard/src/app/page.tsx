import { redirect } from 'next/navigation';
import { auth } from '../auth';
import { listUserOrganizations } from '../modules/orgs/membership';
import { db } from '../server/db';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const session = await auth();
  if (!session?.user?.id) redirect('/signin');
  const orgs = await listUserOrganizations(db(), session.user.id);
  if (orgs[0]) redirect(`/o/${orgs[0].slug}/servers`);
  redirect('/orgs/new');
}
