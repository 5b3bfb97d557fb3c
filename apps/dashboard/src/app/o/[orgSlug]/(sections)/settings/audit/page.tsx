import { AuditSettingsPage } from '../../../../../../modules/audit-export/audit-settings-page';

export const metadata = { title: 'Audit retention & export' };

export default async function Page({ params }: { params: Promise<{ orgSlug: string }> }) {
  return <AuditSettingsPage orgSlug={(await params).orgSlug} />;
}
