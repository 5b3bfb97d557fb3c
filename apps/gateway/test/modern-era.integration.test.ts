// MCP 2026-07-28 (modern, stateless) clients through the gateway: the official SDK v2 client pinned
// to 2026-07-28 against the Twikit stand-in (stdio, a 2025-era server) — discover, filtered list,
// call, deny, rate limit, approval, pinning — and the spec's answers to bad modern requests.
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { auditRows, readCallLog, seed, startGateway, tempFile, textOf, twikitServer, type Seeded } from './harness.ts';

const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    get_tweet: { action: 'allow' },
    send_tweet: { action: 'deny', reason: 'Posting is not allowed for this agent' },
    delete_tweet: { action: 'hide' },
    get_user_info: { limits: [{ counter: 'user_info', window: 'minute', max: 3, scope: 'grant' }] },
    like_tweet: { action: 'require_approval', approval: { timeout: 60 } },
  },
};
const TWEET = '1850000000000001';

async function connectModern(gateway: Gateway, seeded: Pick<Seeded, 'serverId' | 'token'>): Promise<ModernClient> {
  const client = new ModernClient({ name: 'modern-agent', version: '2.0.0' }, { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const transport = new ModernTransport(new URL(`${gateway.url}/mcp/${seeded.serverId}`), { requestInit: { headers: { Authorization: `Bearer ${seeded.token}` } } });
  await client.connect(transport);
  return client;
}

describe('MCP 2026-07-28 clients against Twikit (stdio, legacy) through the gateway', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: ModernClient;
  const logFile = tempFile('twikit-modern.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    gateway = await startGateway({ modernLegMs: 1_000 });
    agent = await connectModern(gateway, seeded);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('negotiates 2026-07-28 with server/discover and sees the grant view of the server', async () => {
    expect(agent.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(agent.getProtocolEra()).toBe('modern');
    const discover = agent.getDiscoverResult();
    expect(discover?.supportedVersions).toEqual(['2026-07-28']);
    expect(discover?.capabilities).toMatchObject({ tools: {} });
    expect(agent.getServerVersion()?.name).toBeTruthy();
  });

  it('lists only the tools the grant may call', async () => {
    const { tools } = await agent.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['get_tweet', 'get_user_info', 'like_tweet']);
  });

  it('forwards an allowed call and audits the modern protocol version', async () => {
    const result = await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result as never))).toMatchObject({ id: TWEET });
    expect(readCallLog(logFile).map((c) => c.tool)).toContain('get_tweet');
    const rows = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'get_tweet');
    expect(rows).toMatchObject([{ decision: 'allow', protocolVersion: '2026-07-28' }]);
  });
});
