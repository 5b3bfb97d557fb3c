import { NextResponse, type NextRequest } from 'next/server';
import { auth } from '../../auth';
import { resolveMembership } from '../orgs/membership';
import { db } from '../../server/db';
import { AppError } from '../../server/errors';
import { parseAuditFilter } from './audit';
import { auditExportStream } from './export';

/** GET /o/<slug>/audit/export?format=csv|jsonl&<filters>: the filtered set as a download. */
export async function exportAudit(request: NextRequest, orgSlug: string): Promise<Response> {
  const session = await auth();
  if (!session?.user?.id) return NextResponse.json({ error: { message: 'Sign in first.' } }, { status: 401 });
  let ctx;
  try {
    ctx = await resolveMembership(db(), session.user.id, orgSlug, 'viewer');
  } catch (error) {
    if (error instanceof AppError)
      return NextResponse.json({ error: { message: error.message } }, { status: error.status });
    throw error;
  }
  const query = Object.fromEntries(request.nextUrl.searchParams.entries());
  const format = query.format === 'jsonl' ? 'jsonl' : 'csv';
  const filter = parseAuditFilter(query);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return new Response(auditExportStream(db(), ctx, filter, format), {
    headers: {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="audit-${ctx.orgSlug}-${stamp}.${format}"`,
      'Cache-Control': 'no-store',
    },
  });
}
