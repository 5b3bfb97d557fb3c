import { NotificationsPage } from '../../../../../../modules/notifications/notifications-page';

export const metadata = { title: 'Notifications' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <NotificationsPage orgSlug={(await params).orgSlug} />;
}
