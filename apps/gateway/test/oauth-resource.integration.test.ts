// The gateway as an OAuth resource server (issue #17): the 401 challenge names the grant URL's
// protected-resource metadata; the metadata is served by path insertion (trailing slash or not);
// an access token works only for the exact resource it was issued for, only on its grant's server,
// and under that grant's policy; grant tokens keep working beside it.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  seed,
  startGateway,
  tempFile,
  testDb,
  textOf,
  twikitServer,
  type Seeded,
} from './harness.ts';

const PUBLIC_URL = 'http://localhost:4000';
const ISSUER = 'http://dashboard.test:3000';
const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    get_tweet: { action: 'allow' },
    send_tweet: { action: 'deny', reason: 'Posting is not allowed for this agent' },
  },
};
const TWEET = '1850000000000001';

/** An access token row as the dashboard's authorization server writes it (hash only). */
async function issueAccessToken(
  grantId: string,
  resource: string,
  extra: { accessExpiresAt?: Date; revokedAt?: Date } = {},
): Promise<string> {
  const db = testDb();
  const client = await db.oAuthClient.create({
    data: {
      clientId: issueToken('oauthClient').token,
      kind: 'registered',
      name: 'Test client',
      redirectUris: ['http://127.0.0.1:9/cb'],
    },
  });
  const access = issueToken('oauthAccess');
  await db.oAuthToken.create({
    data: {
      familyId: `f-${access.prefix}`,
      clientId: client.id,
      grantId,
      userId: 'u',
      resource,
      accessTokenHash: access.hash,
      accessExpiresAt: extra.accessExpiresAt ?? new Date(Date.now() + 600_000),
      revokedAt: extra.revokedAt ?? null,
    },
  });
  return access.token;
}

describe('OAuth protected resource', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let other: Seeded;
  const post = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });

  beforeAll(async () => {
    seeded = await seed(twikitServer(tempFile('oauth-a.jsonl')), POLICY);
    other = await seed(twikitServer(tempFile('oauth-b.jsonl')), POLICY);
    gateway = await startGateway({ publicUrl: PUBLIC_URL, oauthIssuer: ISSUER });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('answers a request without credentials with 401 and the resource metadata URL', async () => {
    const res = await post(`/mcp/${seeded.serverId}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="portcullis", resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp/${seeded.serverId}"`,
    );
  });

  it('serves protected-resource metadata by path insertion; a trailing slash names the same resource', async () => {
    for (const suffix of ['', '/']) {
      const res = await fetch(
        `${gateway.url}/.well-known/oauth-protected-resource/mcp/${seeded.serverId}${suffix}`,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toEqual({
        resource: `${PUBLIC_URL}/mcp/${seeded.serverId}`,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ['header'],
        resource_name: 'Portcullis MCP gateway',
      });
    }
    expect((await fetch(`${gateway.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
    expect(
      (await fetch(`${gateway.url}/.well-known/oauth-protected-resource/g/${seeded.token}/mcp`)).status,
    ).toBe(404);
  });

  it('runs tools/call under the grant the token is bound to: its policy, and its audit trail', async () => {
    const token = await issueAccessToken(seeded.grantId, `${PUBLIC_URL}/mcp/${seeded.serverId}`);
    const agent = await connectAgent(gateway, { serverId: seeded.serverId, token });
    try {
      const allowed = (await agent.callTool({
        name: 'get_tweet',
        arguments: { tweet_id: TWEET },
      })) as CallToolResult;
      expect(allowed.isError).toBeFalsy();
      const denied = (await agent.callTool({
        name: 'send_tweet',
        arguments: { text: 'hello' },
      })) as CallToolResult;
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toContain('Posting is not allowed for this agent');
    } finally {
      await agent.close();
    }
    expect(
      (await testDb().grant.findUniqueOrThrow({ where: { id: seeded.grantId } })).lastUsedAt,
    ).not.toBeNull();
    const rows = await auditRows(seeded.serverId);
    expect(rows.filter((r) => r.grantId === seeded.grantId).map((r) => [r.toolName, r.decision])).toEqual(
      expect.arrayContaining([
        ['get_tweet', 'allow'],
        ['send_tweet', 'deny'],
      ]),
    );
  });

  it('accepts the token at the grant URL with a trailing slash', async () => {
    const token = await issueAccessToken(seeded.grantId, `${PUBLIC_URL}/mcp/${seeded.serverId}`);
    const res = await post(`/mcp/${seeded.serverId}/`, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('refuses a token issued for another resource (RFC 8707) with 401 invalid_token', async () => {
    const token = await issueAccessToken(seeded.grantId, `http://elsewhere.test:4000/mcp/${seeded.serverId}`);
    const res = await post(`/mcp/${seeded.serverId}`, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.headers.get('www-authenticate')).toContain(
      `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp/${seeded.serverId}"`,
    );
  });

  it("answers 404 for organization A's token on organization B's grant URL, as for grant tokens", async () => {
    const token = await issueAccessToken(seeded.grantId, `${PUBLIC_URL}/mcp/${seeded.serverId}`);
    const res = await post(`/mcp/${other.serverId}`, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(404);
    const grantToken = await post(`/mcp/${other.serverId}`, { authorization: `Bearer ${seeded.token}` });
    expect(grantToken.status).toBe(404);
  });

  it('refuses expired and revoked access tokens, and tokens of a revoked grant, with 401', async () => {
    const resource = `${PUBLIC_URL}/mcp/${seeded.serverId}`;
    const expired = await issueAccessToken(seeded.grantId, resource, {
      accessExpiresAt: new Date(Date.now() - 1000),
    });
    const revoked = await issueAccessToken(seeded.grantId, resource, { revokedAt: new Date() });
    for (const token of [expired, revoked, issueToken('oauthAccess').token]) {
      const res = await post(`/mcp/${seeded.serverId}`, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const third = await seed(twikitServer(tempFile('oauth-c.jsonl')), POLICY);
    const live = await issueAccessToken(third.grantId, `${PUBLIC_URL}/mcp/${third.serverId}`);
    const before = await post(`/mcp/${third.serverId}`, { authorization: `Bearer ${live}` });
    expect(before.status).toBe(200);
    await before.text();
    await testDb().grant.update({ where: { id: third.grantId }, data: { revokedAt: new Date() } });
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await post(`/mcp/${third.serverId}`, { authorization: `Bearer ${live}` })).status).toBe(401);
  });

  it('keeps grant tokens working, in the header and in the URL', async () => {
    const header = await post(`/mcp/${seeded.serverId}`, { authorization: `Bearer ${seeded.token}` });
    expect(header.status).toBe(200);
    await header.text();
    const inUrl = await post(`/g/${seeded.token}/mcp`);
    expect(inUrl.status).toBe(200);
    await inUrl.text();
  });

  it('does not advertise OAuth when no authorization server is configured', async () => {
    const plain = await startGateway({ publicUrl: PUBLIC_URL });
    try {
      const res = await fetch(`${plain.url}/mcp/${seeded.serverId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="portcullis"');
      expect(
        (await fetch(`${plain.url}/.well-known/oauth-protected-resource/mcp/${seeded.serverId}`)).status,
      ).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
