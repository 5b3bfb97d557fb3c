// Toolsets (docs/toolsets.md) through real gateways: one grant over the Twikit stand-in (stdio
// template) and server-everything (Streamable HTTP). The union list, prefixed and filtered by each
// server's own policy; calls routed to the right upstream and audited with the real server, tool
// and the toolset; a subset and an override; a pending tool hidden; a grant-scoped limit counted
// across both servers; a 2026-07-28 client and a legacy one on two replicas; one member stopped
// mid-session while the other keeps working.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { notifyChange } from '@portcullis/db/events';
import type { Prisma } from '@portcullis/db/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Gateway } from '../src/gateway.ts';
import {
  connectAgent,
  readCallLog,
  seed,
  setPolicy,
  startEverything,
  startGateway,
  tempFile,
  testDb,
  textOf,
  twikitServer,
  waitFor,
  type ChildServer,
  type Seeded,
} from './harness.ts';

const TWIKIT_POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    get_tweet: { action: 'allow', limits: [{ counter: 'stack', window: 'minute', max: 4, scope: 'grant' }] },
    send_tweet: { action: 'deny', reason: 'Posting is not allowed for this agent' },
    delete_tweet: { action: 'hide' },
    search_tweets: { action: 'allow' },
    like_tweet: { action: 'require_approval', approval: { timeout: 60 } },
  },
};
const EVERYTHING_POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    echo: { action: 'allow', limits: [{ counter: 'stack', window: 'minute', max: 4, scope: 'grant' }] },
    'get-sum': { action: 'allow' },
  },
  prompts: { action: 'allow' },
  resources: { action: 'allow' },
};
const TWEET = '1850000000000001';
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('a toolset grant over a stdio and an HTTP server', () => {
  const db = testDb();
  const logFile = tempFile('twikit-toolset.jsonl');
  let everything: ChildServer;
  let gateway: Gateway;
  let replica: Gateway;
  let twikit: Seeded;
  let everythingId: string;
  let toolsetId: string;
  let grantId: string;
  let token: string;
  let agent: Client;

  const save = async (change: () => Promise<unknown>) => {
    await change();
    await notifyChange(db, { type: 'toolset', organizationId: twikit.organizationId, toolsetId });
  };
  const names = async (client: Client = agent) => (await client.listTools()).tools.map((t) => t.name).sort();
  const rows = () => db.auditEvent.findMany({ where: { grantId }, orderBy: { createdAt: 'asc' } });

  beforeAll(async () => {
    everything = await startEverything();
    twikit = await seed(twikitServer(logFile), TWIKIT_POLICY);
    const second = await db.mcpServer.create({
      data: {
        organizationId: twikit.organizationId,
        name: 'Everything',
        transport: 'streamable_http',
        url: everything.url,
      },
    });
    everythingId = second.id;
    await setPolicy(twikit.organizationId, everythingId, EVERYTHING_POLICY);
    const toolset = await db.toolset.create({
      data: {
        organizationId: twikit.organizationId,
        name: 'My stack',
        members: {
          create: [
            {
              organizationId: twikit.organizationId,
              serverId: twikit.serverId,
              prefix: 'twikit',
              position: 0,
            },
            {
              organizationId: twikit.organizationId,
              serverId: everythingId,
              prefix: 'everything',
              position: 1,
            },
          ],
        },
      },
    });
    toolsetId = toolset.id;
    const issued = issueToken('grant');
    const grant = await db.grant.create({
      data: {
        organizationId: twikit.organizationId,
        toolsetId,
        name: 'stack agent',
        tokenHash: issued.hash,
        tokenPrefix: issued.prefix,
      },
    });
    grantId = grant.id;
    token = issued.token;
    gateway = await startGateway({ approvalHoldMs: 500 });
    replica = await startGateway({ approvalHoldMs: 500 });
    agent = await connectAgent(gateway, { serverId: toolsetId, token });
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await replica?.close();
    await everything?.stop();
  });

  it('announces the toolset and lists both servers’ tools, prefixed and filtered by each policy', async () => {
    expect(agent.getServerVersion()?.name).toBe('My stack');
    expect(agent.getInstructions()).toMatch(/twikit__.*everything__/);
    // The first sessions sync both catalogs; server-everything adds tools after initialize.
    const listed = await waitFor(
      async () => {
        const list = await names();
        return list.includes('everything__echo') && list.includes('twikit__get_tweet') ? list : undefined;
      },
      20_000,
      200,
    );
    expect(listed).toEqual([
      'everything__echo',
      'everything__get-sum',
      'twikit__get_tweet',
      'twikit__like_tweet',
      'twikit__search_tweets',
    ]);
    // Hidden, denied-always and default-denied tools of either server are not listed.
    expect(listed).not.toContain('twikit__delete_tweet');
    expect(listed).not.toContain('twikit__send_tweet');
  });

  it('routes each call to its server and audits the real server, tool and the toolset', async () => {
    const echoed = (await agent.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi' },
    })) as CallToolResult;
    expect(echoed.isError).toBeFalsy();
    expect(textOf(echoed)).toContain('hi');
    const tweet = (await agent.callTool({
      name: 'twikit__get_tweet',
      arguments: { tweet_id: TWEET },
    })) as CallToolResult;
    expect(tweet.isError).toBeFalsy();
    expect(readCallLog(logFile).map((c) => c.tool)).toEqual(['get_tweet']);
    const audited = await waitFor(async () => {
      const all = await rows();
      return all.filter((r) => r.upstreamOutcome === 'ok').length >= 2 ? all : undefined;
    });
    expect(audited.find((r) => r.toolName === 'echo')).toMatchObject({
      serverId: everythingId,
      toolsetId,
      decision: 'allow',
      upstreamOutcome: 'ok',
    });
    expect(audited.find((r) => r.toolName === 'get_tweet')).toMatchObject({
      serverId: twikit.serverId,
      toolsetId,
      decision: 'allow',
    });
  });

  it('keeps each tool under its own server’s policy: a deny on one while the other’s is allowed', async () => {
    const denied = (await agent.callTool({
      name: 'twikit__send_tweet',
      arguments: { text: 'x' },
    })) as CallToolResult;
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/Posting is not allowed for this agent/);
    const sum = (await agent.callTool({
      name: 'everything__get-sum',
      arguments: { a: 2, b: 3 },
    })) as CallToolResult;
    expect(sum.isError).toBeFalsy();
    expect(textOf(sum)).toContain('5');
    // An unknown prefix, and a prefixed name of a tool the server does not have, reach no upstream.
    const unknown = (await agent.callTool({ name: 'github__create_issue', arguments: {} })) as CallToolResult;
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/not available/);
    expect(readCallLog(logFile).map((c) => c.tool)).toEqual(['get_tweet']);
    const refused = await waitFor(async () => {
      const all = await rows();
      return all.some((r) => r.toolName === 'github__create_issue') ? all : undefined;
    });
    expect(refused.find((r) => r.toolName === 'send_tweet')).toMatchObject({ decision: 'deny', toolsetId });
    expect(refused.find((r) => r.toolName === 'github__create_issue')).toMatchObject({
      decision: 'hide',
      serverId: null,
      toolsetId,
    });
  });

  it('narrows to a subset and shows the override’s name and description, never widening the policy', async () => {
    const changed = new Promise<void>((resolve) =>
      agent.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await save(() =>
      db.toolsetMember.update({
        where: { toolsetId_serverId: { toolsetId, serverId: everythingId } },
        data: {
          allTools: false,
          // send_tweet is not this server's; delete... : a subset naming a tool the policy denies does not allow it.
          tools: ['echo'],
          overrides: {
            echo: { name: 'say', description: 'Repeats what you say (rewritten by the tenant).' },
          } as Prisma.InputJsonValue,
        },
      }),
    );
    await changed;
    const { tools } = await agent.listTools();
    const listed = tools.map((t) => t.name).sort();
    expect(listed).toEqual([
      'everything__say',
      'twikit__get_tweet',
      'twikit__like_tweet',
      'twikit__search_tweets',
    ]);
    expect(tools.find((t) => t.name === 'everything__say')!.description).toBe(
      'Repeats what you say (rewritten by the tenant).',
    );
    const said = (await agent.callTool({
      name: 'everything__say',
      arguments: { message: 'again' },
    })) as CallToolResult;
    expect(textOf(said)).toContain('again');
    // Left out of the subset, and the upstream name of a renamed tool: not available, audited.
    const outside = (await agent.callTool({
      name: 'everything__get-sum',
      arguments: { a: 1, b: 1 },
    })) as CallToolResult;
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toMatch(/not available/);
    const oldName = (await agent.callTool({
      name: 'everything__echo',
      arguments: { message: 'x' },
    })) as CallToolResult;
    expect(oldName.isError).toBe(true);
    const audited = await waitFor(async () => {
      const all = await rows();
      return all.filter((r) => r.ruleId === '(toolset)' && r.serverId === everythingId).length >= 2
        ? all
        : undefined;
    });
    expect(
      audited
        .filter((r) => r.ruleId === '(toolset)' && r.serverId === everythingId)
        .map((r) => r.toolName)
        .sort(),
    ).toEqual(['everything__echo', 'get-sum']);
    // Pinning still compares the upstream's own definition: the catalog row is untouched.
    const echo = await db.tool.findUniqueOrThrow({
      where: { serverId_name: { serverId: everythingId, name: 'echo' } },
    });
    expect(echo.description).not.toContain('rewritten');
    expect(echo.pinState).toBe('approved');
  });

  it('tells the agent when a member server’s policy changes, and never lists another organization’s server', async () => {
    const changed = new Promise<void>((resolve) =>
      agent.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await setPolicy(twikit.organizationId, twikit.serverId, {
      ...TWIKIT_POLICY,
      tools: { ...TWIKIT_POLICY.tools, get_timeline: { action: 'allow' } },
    });
    await changed;
    expect(await names()).toContain('twikit__get_timeline');
    // A member row naming another organization's server (the dashboard refuses it; here written
    // directly) is left out by the gateway: its tools are not listed and not callable.
    const stranger = await seed(twikitServer(tempFile('stranger.jsonl')), { version: '1', default: 'allow' });
    await save(() =>
      db.toolsetMember.create({
        data: {
          organizationId: twikit.organizationId,
          toolsetId,
          serverId: stranger.serverId,
          prefix: 'stranger',
        },
      }),
    );
    await waitFor(async () => ((await names()).includes('twikit__get_timeline') ? true : undefined));
    expect((await names()).some((n) => n.startsWith('stranger__'))).toBe(false);
    const foreign = (await agent.callTool({
      name: 'stranger__get_tweet',
      arguments: { tweet_id: TWEET },
    })) as CallToolResult;
    expect(foreign.isError).toBe(true);
    expect(textOf(foreign)).toMatch(/not available/);
    await save(() => db.toolsetMember.deleteMany({ where: { toolsetId, serverId: stranger.serverId } }));
  });

  it('keeps a tool new to the catalog hidden until approved, as on a plain server', async () => {
    await db.tool.update({
      where: { serverId_name: { serverId: twikit.serverId, name: 'search_tweets' } },
      data: { pinState: 'pending' },
    });
    await notifyChange(db, {
      type: 'tools',
      organizationId: twikit.organizationId,
      serverId: twikit.serverId,
    });
    await waitFor(async () => ((await names()).includes('twikit__search_tweets') ? undefined : true));
    const pending = (await agent.callTool({
      name: 'twikit__search_tweets',
      arguments: { query: 'x' },
    })) as CallToolResult;
    expect(pending.isError).toBe(true);
    expect(textOf(pending)).toMatch(/approve/);
    await db.tool.update({
      where: { serverId_name: { serverId: twikit.serverId, name: 'search_tweets' } },
      data: { pinState: 'approved' },
    });
    await notifyChange(db, {
      type: 'tools',
      organizationId: twikit.organizationId,
      serverId: twikit.serverId,
    });
    await waitFor(async () => ((await names()).includes('twikit__search_tweets') ? true : undefined));
  });

  it('holds a call for approval under its server’s policy and hands a legacy agent back the name to call again', async () => {
    const held = (await agent.callTool({
      name: 'twikit__like_tweet',
      arguments: { tweet_id: TWEET },
    })) as CallToolResult;
    expect(textOf(held)).toMatch(/^Approval required/);
    expect(textOf(held)).toContain('Call twikit__like_tweet again');
    const approval = await db.approval.findFirstOrThrow({
      where: { grantId },
      orderBy: { createdAt: 'desc' },
    });
    expect(approval).toMatchObject({ serverId: twikit.serverId, toolName: 'like_tweet', status: 'pending' });
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('like_tweet');
  });

  it('prefixes prompts and routes them and resources to the server that offers them', async () => {
    const { prompts } = await agent.listPrompts();
    expect(prompts.length).toBeGreaterThan(0);
    expect(prompts.every((p) => p.name.startsWith('everything__'))).toBe(true);
    const prompt = await agent.getPrompt({ name: 'everything__simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    await expect(agent.getPrompt({ name: 'simple-prompt' })).rejects.toThrow(/not available in this toolset/);
    const { resources } = await agent.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await agent.readResource({ uri: resources[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    await expect(agent.readResource({ uri: 'nothing://here' })).rejects.toThrow(
      /No server of this toolset lists/,
    );
    const audited = await waitFor(async () => {
      const all = await rows();
      return all.some((r) => r.method === 'resources/read') && all.some((r) => r.method === 'prompts/get')
        ? all
        : undefined;
    });
    expect(audited.find((r) => r.method === 'resources/read')).toMatchObject({
      serverId: everythingId,
      toolsetId,
    });
    expect(audited.find((r) => r.method === 'prompts/get')).toMatchObject({
      serverId: everythingId,
      toolName: 'simple-prompt',
      toolsetId,
    });
  });

  it('counts a grant-scoped limit of the same name across both servers', async () => {
    // Named counter "stack", at most 4 per minute on both servers' policies: the echo calls above
    // count with the get_tweet ones, so get_tweet fills the budget and the next echo is limited.
    const counted = async () =>
      (await rows()).filter(
        (r) => r.decision === 'allow' && (r.toolName === 'echo' || r.toolName === 'get_tweet'),
      );
    const before = await counted();
    expect(before.some((r) => r.toolName === 'echo') && before.some((r) => r.toolName === 'get_tweet')).toBe(
      true,
    );
    for (let n = before.length; n < 4; n++) {
      const call = (await agent.callTool({
        name: 'twikit__get_tweet',
        arguments: { tweet_id: TWEET },
      })) as CallToolResult;
      expect(call.isError).toBeFalsy();
    }
    const limited = (await agent.callTool({
      name: 'everything__say',
      arguments: { message: 'more' },
    })) as CallToolResult;
    expect(limited.isError).toBe(true);
    expect(textOf(limited)).toMatch(/^Rate limited by \/tools\/echo\/limits\/0/);
  });

  it('serves the same toolset grant to a 2026-07-28 client, alternating between two replicas', async () => {
    const modern = new ModernClient(
      { name: 'modern-agent', version: '2.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    let turn = 0;
    const bases = [gateway.url, replica.url];
    const used = new Set<string>();
    await modern.connect(
      new ModernTransport(new URL(`${gateway.url}/mcp/${toolsetId}`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
        fetch: async (input, init) => {
          const base = bases[turn++ % bases.length]!;
          used.add(base);
          const url = new URL(String(input instanceof Request ? input.url : input));
          return fetch(`${base}${url.pathname}${url.search}`, init);
        },
      }),
    );
    try {
      expect(modern.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const { tools } = await modern.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(['everything__say', 'twikit__get_tweet']),
      );
      const results: CallToolResult[] = [];
      for (let i = 0; i < 2; i++)
        results.push(
          (await modern.callTool({
            name: 'twikit__search_tweets',
            arguments: { query: `q${i}` },
          })) as CallToolResult,
        );
      expect(results.every((r) => !r.isError)).toBe(true);
      expect(used.size).toBe(2);
      const modernRows = await waitFor(async () => {
        const all = (await rows()).filter(
          (r) => r.protocolVersion === '2026-07-28' && r.toolName === 'search_tweets',
        );
        return all.length >= 2 ? all : undefined;
      });
      expect(modernRows.every((r) => r.serverId === twikit.serverId && r.toolsetId === toolsetId)).toBe(true);
    } finally {
      await modern.close();
    }
  });

  it('fails only the stopped member’s tools, with an error that names the server', async () => {
    // Another grant on the toolset (the first one's "stack" budget is spent).
    const issued = issueToken('grant');
    await db.grant.create({
      data: {
        organizationId: twikit.organizationId,
        toolsetId,
        name: 'second agent',
        tokenHash: issued.hash,
        tokenPrefix: issued.prefix,
      },
    });
    const legacy = await connectAgent(replica, { serverId: toolsetId, token: issued.token });
    try {
      expect(await names(legacy)).toContain('everything__say');
      await everything.stop();
      const failed = await legacy
        .callTool({ name: 'everything__say', arguments: { message: 'anyone?' } })
        .then(
          (r) => textOf(r as CallToolResult),
          (error: Error) => error.message,
        );
      expect(failed).toMatch(/Everything/);
      const tweet = (await legacy.callTool({
        name: 'twikit__search_tweets',
        arguments: { query: 'still here' },
      })) as CallToolResult;
      expect(tweet.isError).toBeFalsy();
      // The list still answers, the stopped member's tools from the catalog.
      expect(await names(legacy)).toEqual(expect.arrayContaining(['twikit__get_tweet', 'everything__say']));
    } finally {
      await legacy.close();
    }
  });
});

describe('tool overrides on a plain server', () => {
  const db = testDb();
  const logFile = tempFile('twikit-override.jsonl');
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), TWIKIT_POLICY);
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
    await waitFor(async () => ((await agent.listTools()).tools.length > 0 ? true : undefined));
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('shows the tenant’s name, title and description; calls by the new name reach the upstream’s tool', async () => {
    await db.tool.update({
      where: { serverId_name: { serverId: seeded.serverId, name: 'get_tweet' } },
      data: {
        overrideName: 'read_post',
        overrideTitle: 'Read a post',
        overrideDescription: 'Reads one post by id.',
      },
    });
    await notifyChange(db, {
      type: 'tools',
      organizationId: seeded.organizationId,
      serverId: seeded.serverId,
    });
    const tool = await waitFor(async () =>
      (await agent.listTools()).tools.find((t) => t.name === 'read_post'),
    );
    expect(tool).toMatchObject({ title: 'Read a post', description: 'Reads one post by id.' });
    expect((await agent.listTools()).tools.map((t) => t.name)).not.toContain('get_tweet');
    const result = (await agent.callTool({
      name: 'read_post',
      arguments: { tweet_id: TWEET },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(readCallLog(logFile).map((c) => c.tool)).toEqual(['get_tweet']);
    // The upstream's own name no longer answers.
    const old = (await agent.callTool({
      name: 'get_tweet',
      arguments: { tweet_id: TWEET },
    })) as CallToolResult;
    expect(old.isError).toBe(true);
    expect(textOf(old)).toMatch(/not available/);
    expect(readCallLog(logFile)).toHaveLength(1);
    const audited = await waitFor(async () => {
      const all = await db.auditEvent.findMany({ where: { grantId: seeded.grantId } });
      return all.length >= 2 ? all : undefined;
    });
    // Policy and audit see the upstream's name; the refusal records the name that was called.
    expect(audited.find((r) => r.decision === 'allow')).toMatchObject({
      toolName: 'get_tweet',
      toolsetId: null,
    });
    expect(audited.find((r) => r.decision === 'hide')).toMatchObject({
      toolName: 'get_tweet',
      ruleId: '(renamed)',
    });
  });
});

describe('a toolset member whose lists stall', () => {
  const db = testDb();
  let gateway: Gateway;
  let agent: Client;

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('lists the other members at once and the stalled one from the catalog, within the member deadline', async () => {
    const twikit = await seed(twikitServer(tempFile('twikit-stall.jsonl')), TWIKIT_POLICY);
    const stalling = await db.mcpServer.create({
      data: {
        organizationId: twikit.organizationId,
        name: 'Stalling',
        transport: 'stdio',
        stdioTemplate: 'node-script',
        args: [join(fixtures, 'stalling-list-server.mjs')],
      },
    });
    await setPolicy(twikit.organizationId, stalling.id, { version: '1', default: 'allow' });
    const toolset = await db.toolset.create({
      data: {
        organizationId: twikit.organizationId,
        name: 'Stalls',
        members: {
          create: [
            { organizationId: twikit.organizationId, serverId: twikit.serverId, prefix: 'twikit' },
            { organizationId: twikit.organizationId, serverId: stalling.id, prefix: 'stall', position: 1 },
          ],
        },
      },
    });
    const issued = issueToken('grant');
    await db.grant.create({
      data: {
        organizationId: twikit.organizationId,
        toolsetId: toolset.id,
        name: 'stall agent',
        tokenHash: issued.hash,
        tokenPrefix: issued.prefix,
      },
    });
    gateway = await startGateway({ upstreamTimeoutMs: 30_000 });
    agent = await connectAgent(gateway, { serverId: toolset.id, token: issued.token });
    const started = Date.now();
    const { tools } = await agent.listTools();
    const took = Date.now() - started;
    // The stalled member's list is cut at its 5 s deadline (not the 30 s upstream timeout) and its
    // tool comes from the catalog, synced when its session opened.
    expect(took).toBeLessThan(15_000);
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['stall__answer', 'twikit__get_tweet']));
    const answered = (await agent.callTool({ name: 'stall__answer', arguments: {} })) as CallToolResult;
    expect(textOf(answered)).toBe('answered');
    // A second list does not wait for the stalled member again either way: still bounded.
    const again = Date.now();
    await agent.listTools();
    expect(Date.now() - again).toBeLessThan(15_000);
  }, 60_000);
});
