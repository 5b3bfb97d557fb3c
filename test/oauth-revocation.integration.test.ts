// RFC 7009 revocation end to end (issue #32): tokens from the dashboard's authorization server, used at
// a real gateway, revoked at the dashboard; the gateway refuses them at once, before its 1 s lookup
// cache would have expired (the revocation sends the grant change event), and another client's token
// on the same grant keeps working. The protocol answers themselves are
// apps/dashboard/test/oauth-revocation.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase } from '../apps/dashboard/test/helpers.ts';
import { handleRevocationRequest } from '../apps/dashboard/src/modules/oauth/authorization-server.ts';
import { authorizeClient, FORM_HEADERS as FORM } from '../apps/dashboard/test/oauth-flow.ts';
import { setPolicy, startGateway, tempFile } from '../apps/gateway/test/harness.ts';
import type { Gateway } from '../apps/gateway/src/gateway.ts';

const PUBLIC_URL = process.env.GATEWAY_PUBLIC_URL!;

let gateway: Gateway;
let owner: Awaited<ReturnType<typeof newOwner>>;
let serverId: string;

beforeAll(async () => {
  await resetDatabase();
  await db.$executeRawUnsafe('TRUNCATE oauth_clients CASCADE');
  owner = await newOwner();
  const server = await db.mcpServer.create({
    data: {
      organizationId: owner.ctx.organizationId,
      name: 'Twikit',
      transport: 'stdio',
      stdioTemplate: 'twikit',
      args: ['--log-file', tempFile('oauth-revocation.jsonl')],
      status: 'ok',
    },
  });
  serverId = server.id;
  await setPolicy(owner.ctx.organizationId, serverId, {
    version: '1',
    default: 'deny',
    tools: { get_tweet: { action: 'allow' } },
  });
  gateway = await startGateway({ publicUrl: PUBLIC_URL, oauthIssuer: 'http://localhost:3000' });
});

afterAll(async () => {
  await gateway?.close();
});

const revoke = (body: Record<string, string>) => handleRevocationRequest(db, new URLSearchParams(body), FORM);

/** A new client authorized on the grant named `grant` ('new' makes one), with its tokens. */
async function authorizedClient(name: string, grant = 'new') {
  const tokens = await authorizeClient(owner.userId, name, `${PUBLIC_URL}/mcp/${serverId}`, grant);
  const grantId =
    grant === 'new' ? (await db.grant.findFirstOrThrow({ where: { serverId, name } })).id : grant;
  return { ...tokens, grantId };
}

/** The gateway's answer to an MCP initialize with this bearer token. */
async function initialize(access: string): Promise<number> {
  const res = await fetch(`${gateway.url}/mcp/${serverId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${access}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  await res.text();
  return res.status;
}

/**
 * The status the gateway settles on within `ms` of now: the change event reaches its listener a few
 * milliseconds after the revocation commits, far sooner than its 1 s cache of the lookup expires.
 */
async function statusWithin(access: string, expected: number, ms = 400): Promise<number> {
  const deadline = Date.now() + ms;
  let status = await initialize(access);
  while (status !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    status = await initialize(access);
  }
  return status;
}

describe('OAuth token revocation at the gateway', () => {
  it('refuses the access token of a revoked refresh token at once; the other client on the grant keeps working', async () => {
    const mine = await authorizedClient('Mine');
    const theirs = await authorizedClient('Theirs', mine.grantId);
    expect(await initialize(mine.access)).toBe(200);
    expect(await initialize(theirs.access)).toBe(200);

    // Warm: the gateway has just looked the token up and caches the lookup for up to 1 s.
    expect(await initialize(mine.access)).toBe(200);
    expect((await revoke({ token: mine.refresh, client_id: mine.clientId })).status).toBe(200);
    expect(await statusWithin(mine.access, 401)).toBe(401);

    // Another client's token presented by this client: 200, and it still works at the gateway.
    expect((await revoke({ token: theirs.access, client_id: mine.clientId })).status).toBe(200);
    expect(await initialize(theirs.access)).toBe(200);
  });

  it('refuses a revoked access token at once', async () => {
    const { clientId, access } = await authorizedClient('Signs out');
    expect(await initialize(access)).toBe(200);
    expect(await initialize(access)).toBe(200);
    expect(
      (await revoke({ token: access, token_type_hint: 'access_token', client_id: clientId })).status,
    ).toBe(200);
    expect(await statusWithin(access, 401)).toBe(401);
  });
});
