import { db } from '../../server/db';

/** Liveness plus a database round trip; the start script waits on it. */
export async function GET(): Promise<Response> {
  try {
    await db().$queryRawUnsafe('SELECT 1');
    return Response.json({ ok: true });
  } catch {
    return Response.json({ ok: false, error: 'database unavailable' }, { status: 503 });
  }
}
