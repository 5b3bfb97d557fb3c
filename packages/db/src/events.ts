// Change notifications between the dashboard and every gateway replica, over PostgreSQL
// LISTEN/NOTIFY on one channel. Gateways also poll, so a lost notification only delays a change.
export const CHANGE_CHANNEL = 'portcullis_events';

export type ChangeEvent =
  | { type: 'approval'; organizationId: string; approvalId: string }
  | { type: 'policy'; organizationId: string; serverId: string }
  | { type: 'grant'; organizationId: string; grantId: string }
  | { type: 'server'; organizationId: string; serverId: string }
  | { type: 'tools'; organizationId: string; serverId: string }
  /** A toolset's members, subsets, prefixes or overrides changed, or it was deleted. */
  | { type: 'toolset'; organizationId: string; toolsetId: string }
  /** An upstream account was connected, disconnected or needs reconnecting (subject: "shared" or a user id). */
  | { type: 'connection'; organizationId: string; serverId: string; subject: string };

interface RawExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** Sends a change event; call it after the transaction that made the change has committed. */
export async function notifyChange(db: RawExecutor, event: ChangeEvent): Promise<void> {
  await db.$executeRawUnsafe('SELECT pg_notify($1, $2)', CHANGE_CHANNEL, JSON.stringify(event));
}

export function parseChangeEvent(payload: string | undefined): ChangeEvent | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as ChangeEvent;
    return typeof value?.type === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
