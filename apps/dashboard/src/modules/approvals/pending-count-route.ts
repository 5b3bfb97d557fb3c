import { NextResponse } from 'next/server';
import { auth } from '../../auth';
import { resolveMembership } from '../orgs/membership';
import { db } from '../../server/db';
import { AppError } from '../../server/errors';
import { countPendingApprovals } from './approvals';

/** GET /o/<slug>/approvals/count: `{ pending }`, polled by the navigation's count. */
export async function pendingCountResponse(orgSlug: string): Promise<Response> {
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
  return NextResponse.json(
    { pending: await countPendingApprovals(db(), ctx) },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
