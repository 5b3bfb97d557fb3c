// OAuth rows that can no longer matter: codes and tokens a day after they could last be used (a
// rotated refresh token is kept until then, so its reuse is still detected), and clients nobody
// holds a code or token of after a week (a registered client registers again; a document is
// fetched again). Run on each consent: rare, and where rows are made.
import type { Db } from '@portcullis/db/client';

const GRACE_MS = 24 * 60 * 60_000;
const CLIENT_IDLE_MS = 7 * GRACE_MS;

export async function pruneOAuthRows(
  db: Db,
  now = Date.now(),
): Promise<{ codes: number; tokens: number; clients: number }> {
  const cutoff = new Date(now - GRACE_MS);
  const codes = await db.oAuthAuthorizationCode.deleteMany({ where: { expiresAt: { lt: cutoff } } });
  const tokens = await db.oAuthToken.deleteMany({
    where: {
      OR: [{ refreshExpiresAt: { lt: cutoff } }, { refreshExpiresAt: null, accessExpiresAt: { lt: cutoff } }],
    },
  });
  const clients = await db.oAuthClient.deleteMany({
    where: { createdAt: { lt: new Date(now - CLIENT_IDLE_MS) }, codes: { none: {} }, tokens: { none: {} } },
  });
  return { codes: codes.count, tokens: tokens.count, clients: clients.count };
}

/**
 * Registration is open to anyone (RFC 7591), so registered clients nobody has authorized yet are
 * bounded: past this many, the oldest of them are dropped as a new one registers. A flood of
 * registrations costs the database a bounded table, never unbounded growth; a real client
 * authorizes within minutes of registering, long before it could be pushed out.
 */
export const MAX_UNAUTHORIZED_REGISTRATIONS = 1_000;

export async function pruneUnauthorizedRegistrations(
  db: Db,
  keep = MAX_UNAUTHORIZED_REGISTRATIONS,
): Promise<number> {
  const unused = { kind: 'registered' as const, codes: { none: {} }, tokens: { none: {} } };
  const excess = (await db.oAuthClient.count({ where: unused })) - keep;
  if (excess <= 0) return 0;
  const oldest = await db.oAuthClient.findMany({
    where: unused,
    orderBy: { createdAt: 'asc' },
    take: excess,
    select: { id: true },
  });
  const { count } = await db.oAuthClient.deleteMany({
    where: { ...unused, id: { in: oldest.map((c) => c.id) } },
  });
  return count;
}
