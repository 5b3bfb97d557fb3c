import { pendingCountResponse } from '../../../../../modules/approvals/pending-count-route';

export const dynamic = 'force-dynamic';

export async function GET(_request: Request, { params }: { params: Promise<{ orgSlug: string }> }) {
  return pendingCountResponse((await params).orgSlug);
}
