// Where an upstream's authorization server sends the browser back after sign-in (the redirect URI
// every registration names). Signed-in users only (proxy.ts); the state must be one this user started.
import { auth } from '../../../auth';
import { db } from '../../../server/db';
import { ConnectError, finishConnect } from '../../../modules/upstream-oauth/connections';
import { syncAfterConnect } from '../../../modules/upstream-oauth/connect-sync';

export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const session = await auth();
  const userId = session?.user?.id;
  const url = new URL(request.url);
  if (!userId) return new Response(null, { status: 303, headers: { location: '/signin' } });
  const query = {
    code: url.searchParams.get('code'),
    state: url.searchParams.get('state'),
    error: url.searchParams.get('error'),
  };
  try {
    const done = await finishConnect(db(), userId, query);
    await syncAfterConnect(db(), userId, done).catch(() => undefined);
    return new Response(null, {
      status: 303,
      headers: {
        location: `/o/${done.orgSlug}/connections?connected=${encodeURIComponent(done.serverId)}`,
      },
    });
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    return new Response(page(error.message), {
      status: 400,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
}

function page(message: string): string {
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Connection not made</title></head><body style="font-family:sans-serif;max-width:40rem;margin:4rem auto"><h1>Connection not made</h1><p role="alert">${text}</p><p><a href="/">Back to Portcullis</a></p></body></html>`;
}
