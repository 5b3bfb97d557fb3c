import { AuditPage } from '../../../../../modules/audit/audit-page';

export const metadata = { title: 'Audit log' };

export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ orgSlug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  return <AuditPage orgSlug={(await params).orgSlug} query={await searchParams} />;
}
