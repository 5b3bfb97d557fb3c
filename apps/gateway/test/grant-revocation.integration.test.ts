// Revoking a grant ends its sessions on every replica at once, open GET streams included (they
// would otherwise keep carrying the upstream's notifications); another grant's stream stays open.
// Two real gateways on one database, raw Streamable HTTP over fetch.
import { notifyChange } from '@portcullis/db/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  addGrant,
  seed,
  startGateway,
  tempFile,
  testDb,
  twikitServer,
  waitFor,
  type Seeded,
} from './harness.ts';

const POLICY = { version: '1', default: 'allow' };

async function openGetStream(
  gateway: Gateway,
  serverId: string,
  token: string,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const url = `${gateway.url}/mcp/${serverId}`;
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  expect(init.status).toBe(200);
  const sessionId = init.headers.get('mcp-session-id')!;
  await init.text();
  const session = { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
  await (
    await fetch(url, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    })
  ).text();
  const get = await fetch(url, { method: 'GET', headers: { ...session, accept: 'text/event-stream' } });
  expect(get.status).toBe(200);
  return get.body!.getReader();
}

/** Resolves true once the stream ends, false if it is still open after `ms`. */
async function endsWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const next = await Promise.race([
      reader.read().catch(() => ({ done: true as const, value: undefined })),
      new Promise<'open'>((r) => setTimeout(() => r('open'), left)),
    ]);
    if (next === 'open') return false;
    if (next.done) return true;
  }
}

describe('revoking a grant', () => {
  let replicaA: Gateway;
  let replicaB: Gateway;
  let seeded: Seeded;

  beforeAll(async () => {
    seeded = await seed(twikitServer(tempFile('revocation.jsonl')), POLICY);
    [replicaA, replicaB] = await Promise.all([startGateway(), startGateway()]);
  });

  afterAll(async () => {
    await Promise.all([replicaA?.close(), replicaB?.close()]);
  });

  it('closes its open GET streams on every replica, and leaves other grants alone', async () => {
    const other = await addGrant(seeded.organizationId, seeded.serverId);
    const onA = await openGetStream(replicaA, seeded.serverId, seeded.token);
    const onB = await openGetStream(replicaB, seeded.serverId, seeded.token);
    const otherOnB = await openGetStream(replicaB, seeded.serverId, other.token);

    await testDb().grant.update({ where: { id: seeded.grantId }, data: { revokedAt: new Date() } });
    await notifyChange(testDb(), {
      type: 'grant',
      organizationId: seeded.organizationId,
      grantId: seeded.grantId,
    });

    const [endedA, endedB] = await Promise.all([endsWithin(onA, 5_000), endsWithin(onB, 5_000)]);
    expect({ endedA, endedB }).toEqual({ endedA: true, endedB: true });
    expect(await endsWithin(otherOnB, 500)).toBe(false);
    await otherOnB.cancel();
    // The sessions are recorded as closed, so no replica resumes them.
    await waitFor(
      async () =>
        (await testDb().gatewaySession.count({ where: { grantId: seeded.grantId, closedAt: null } })) === 0 ||
        undefined,
    );
  });
});
