// On a server's page: that it is behind sign-in, how (shared or per user), the connection the viewer's
// grants use, and how many accounts are connected. Never a token.
import Link from 'next/link';
import { Badge } from '../../components/badge';
import type { OrgContext } from '../../server/context';
import { db } from '../../server/db';
import { serverConnectionState } from './connections';

export async function ServerSignIn({ ctx, serverId }: { ctx: OrgContext; serverId: string }) {
  const state = await serverConnectionState(db(), ctx, serverId);
  if (!state) return null;
  const connection = state.connection;
  return (
    <section aria-label="Sign-in" className="card flex flex-wrap items-center gap-3 p-4 text-sm">
      <span>
        Behind sign-in at <span className="font-mono">{state.issuer}</span>,{' '}
        {state.mode === 'shared' ? 'one shared account' : 'each member’s own account'}.
      </span>
      <span>
        {state.mode === 'shared' ? 'Shared account' : 'Your account'}:{' '}
        {!connection ? (
          <Badge tone="slate">not connected</Badge>
        ) : connection.status === 'active' ? (
          <Badge tone="green">connected</Badge>
        ) : (
          <Badge tone="amber">needs reconnect</Badge>
        )}
      </span>
      {state.mode === 'per_user' ? (
        <span className="text-slate-500">{state.activeConnections} member accounts connected</span>
      ) : null}
      <Link
        className="text-sky-700 underline"
        href={`/o/${ctx.orgSlug}/connections?server=${encodeURIComponent(serverId)}`}
      >
        Connections
      </Link>
    </section>
  );
}
