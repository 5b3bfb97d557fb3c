import type { NextRequest } from 'next/server';
import { exportAudit } from '../../../../../modules/audit/export-route';

export const dynamic = 'force-dynamic';

export async function GET(request: NextRequest, { params }: { params: Promise<{ orgSlug: string }> }) {
  return exportAudit(request, (await params).orgSlug);
}
