// MCP 2026-07-28 (modern, stateless) clients through the gateway. The official SDK v2 client pinned
// to 2026-07-28 against the Twikit stand-in (stdio, a 2025-era server): discover, filtered list,
// call, deny, rate limit, approval, pinning; the spec's answers to bad modern requests (header/body
// mismatch, unsupported version); a modern and a legacy (SDK v1) client on one grant at once; two
// replicas serving one modern client's requests alternately.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { notifyChange } from '@portcullis/db/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  readCallLog,
  seed,
  setPolicy,
  startGateway,
  tempFile,
  testDb,
  textOf,
  twikitServer,
  waitFor,
  type Seeded,
} from './harness.ts';

const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    get_tweet: { action: 'allow' },
    get_timeline: { action: 'allow' },
    send_tweet: { action: 'deny', reason: 'Posting is not allowed for this agent' },
    delete_tweet: { action: 'hide' },
    get_user_info: { limits: [{ counter: 'user_info', window: 'minute', max: 3, scope: 'grant' }] },
    like_tweet: { action: 'require_approval', approval: { timeout: 60 } },
    search_tweets: { action: 'allow' },
  },
};
const TWEET = '1850000000000001';
const MODERN = '2026-07-28';

interface Sent {
  url: string;
  headers: Headers;
  body: { method?: string; params?: Record<string, unknown> } | undefined;
}

/** The SDK v2 client pinned to 2026-07-28; `urls` (when given) are used in turn, one per HTTP request. */
async function connectModern(
  seeded: Pick<Seeded, 'serverId' | 'token'>,
  urls: string[],
  sent: Sent[] = [],
): Promise<ModernClient> {
  const client = new ModernClient(
    { name: 'modern-agent', version: '2.0.0' },
    { capabilities: {}, versionNegotiation: { mode: { pin: MODERN } } },
  );
  let turn = 0;
  const fetchInTurn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const base = urls[turn++ % urls.length]!;
    const url = new URL(String(input instanceof Request ? input.url : input));
    const target = `${base}${url.pathname}${url.search}`;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Sent['body']) : undefined;
    sent.push({ url: base, headers: new Headers(init?.headers), body });
    return fetch(target, init);
  };
  const transport = new ModernTransport(new URL(`${urls[0]}/mcp/${seeded.serverId}`), {
    requestInit: { headers: { Authorization: `Bearer ${seeded.token}` } },
    fetch: fetchInTurn,
  });
  await client.connect(transport);
  return client;
}

/** A hand-made modern request (headers and body as the test says). */
async function post(
  gateway: Gateway,
  seeded: Seeded,
  body: unknown,
  headers: Record<string, string>,
): Promise<{
  status: number;
  json: {
    id?: unknown;
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: Record<string, unknown> };
  };
}> {
  const res = await fetch(`${gateway.url}/mcp/${seeded.serverId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${seeded.token}`,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as never };
}

function envelope(version = MODERN): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': version,
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
}

const text = (result: unknown) => textOf(result as CallToolResult);

describe('MCP 2026-07-28 clients against Twikit (stdio, legacy) through the gateway', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: ModernClient;
  const sent: Sent[] = [];
  const logFile = tempFile('twikit-modern.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    // Legs of 1 s; a legacy caller's approval would be handed back after 1.5 s (GATEWAY_APPROVAL_HOLD_MS).
    gateway = await startGateway({ modernLegMs: 1_000, approvalHoldMs: 1_500 });
    agent = await connectModern(seeded, [gateway.url], sent);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('negotiates 2026-07-28 with server/discover and sees the grant view of the server', async () => {
    expect(agent.getNegotiatedProtocolVersion()).toBe(MODERN);
    expect(agent.getProtocolEra()).toBe('modern');
    const discover = agent.getDiscoverResult()!;
    expect(discover.supportedVersions).toEqual([MODERN]);
    expect(discover.capabilities).toMatchObject({ tools: {} });
    expect(agent.getServerVersion()?.name).toBe('twitter');
    // Stateless: no session id was handed out or sent.
    expect(sent.every((s) => !s.headers.has('mcp-session-id'))).toBe(true);
  });

  it('lists only the tools the grant may call, with private cache hints', async () => {
    const { tools } = await agent.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'get_timeline',
      'get_tweet',
      'get_user_info',
      'like_tweet',
      'search_tweets',
    ]);
    const raw = await post(
      gateway,
      seeded,
      { jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: envelope() } },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
    );
    expect(raw.status).toBe(200);
    expect(raw.json.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect(
      (raw.json.result!._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo'],
    ).toMatchObject({ name: 'twitter' });
  });

  it('forwards an allowed call and audits the protocol version from _meta', async () => {
    const result = await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(text(result))).toMatchObject({ id: TWEET });
    expect(readCallLog(logFile).map((c) => c.tool)).toContain('get_tweet');
    const rows = await waitFor(async () => {
      const r = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'get_tweet');
      return r.length === 1 && r[0]!.upstreamOutcome === 'ok' ? r : undefined;
    });
    expect(rows[0]).toMatchObject({ decision: 'allow', protocolVersion: MODERN, grantId: seeded.grantId });
    const call = sent.find((s) => s.body?.method === 'tools/call')!;
    expect(call.headers.get('mcp-method')).toBe('tools/call');
    expect(call.headers.get('mcp-name')).toBe('get_tweet');
  });

  it('denies with the reason and rule; hidden tools are refused like missing ones', async () => {
    const denied = await agent.callTool({ name: 'send_tweet', arguments: { text: 'hello' } });
    expect(denied.isError).toBe(true);
    expect(text(denied)).toBe('Denied by policy (/tools/send_tweet): Posting is not allowed for this agent');
    expect(denied._meta?.['portcullis/decision']).toMatchObject({
      effect: 'deny',
      rule: '/tools/send_tweet',
    });
    const hidden = await agent.callTool({ name: 'delete_tweet', arguments: { tweet_id: TWEET } });
    expect(text(hidden)).toBe(
      'Denied by policy (catalog): Tool delete_tweet is not available on this server',
    );
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('send_tweet');
  });

  it('allows exactly max calls, then rate limits', async () => {
    const results = [];
    for (let i = 0; i < 5; i++)
      results.push(await agent.callTool({ name: 'get_user_info', arguments: { screen_name: 'alice' } }));
    expect(results.map((r) => Boolean(r.isError))).toEqual([false, false, false, true, true]);
    expect(text(results[3])).toMatch(/^Rate limited by \/tools\/get_user_info\/limits\/0: /);
    expect(readCallLog(logFile).filter((c) => c.tool === 'get_user_info')).toHaveLength(3);
  });

  it('holds a call for approval across input-required legs (requestState only) and resumes it when approved', async () => {
    const db = testDb();
    const before = sent.length;
    const pending = agent.callTool({ name: 'like_tweet', arguments: { tweet_id: TWEET } });
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { grantId: seeded.grantId, toolName: 'like_tweet', status: 'pending' } })
        .then((a) => a ?? undefined),
    );
    // At least one leg came back input-required and the client came back with its requestState.
    await waitFor(
      () =>
        sent
          .slice(before)
          .some((s) => s.body?.method === 'tools/call' && typeof s.body.params?.requestState === 'string') ||
        undefined,
      10_000,
    );
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('like_tweet');
    // Longer than a legacy caller is held: a modern caller keeps waiting in legs, never handed back.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'approved', decidedAt: new Date(), decidedByLabel: 'test' },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    const result = await pending;
    expect(result.isError).toBeFalsy();
    expect(readCallLog(logFile).filter((c) => c.tool === 'like_tweet')).toHaveLength(1);
    const legs = sent.slice(before).filter((s) => s.body?.method === 'tools/call');
    expect(legs.length).toBeGreaterThanOrEqual(2);
    // Every leg repeats the same call; the policy reads the body, and it never changed.
    expect(
      legs.every((l) => l.body?.params?.name === 'like_tweet' && l.headers.get('mcp-name') === 'like_tweet'),
    ).toBe(true);
  });

  it('refuses a held call that a person denied', async () => {
    const db = testDb();
    const other = '1850000000000002';
    const pending = agent.callTool({ name: 'like_tweet', arguments: { tweet_id: other } });
    const approval = await waitFor(() =>
      db.approval
        .findFirst({ where: { grantId: seeded.grantId, toolName: 'like_tweet', status: 'pending' } })
        .then((a) => a ?? undefined),
    );
    await db.approval.update({
      where: { id: approval.id },
      data: { status: 'denied', decidedAt: new Date() },
    });
    await notifyChange(db, {
      type: 'approval',
      organizationId: seeded.organizationId,
      approvalId: approval.id,
    });
    const result = await pending;
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('Denied by policy (/tools/like_tweet): A person denied this call');
    expect(
      readCallLog(logFile)
        .filter((c) => c.tool === 'like_tweet')
        .map((c) => c.arguments.tweet_id),
    ).toEqual([TWEET]);
  });

  it('refuses a tool whose definition changed since it was approved (pinning)', async () => {
    const db = testDb();
    await db.tool.updateMany({
      where: { serverId: seeded.serverId, name: 'search_tweets' },
      data: { pinState: 'changed' },
    });
    await notifyChange(db, {
      type: 'tools',
      organizationId: seeded.organizationId,
      serverId: seeded.serverId,
    });
    // The change reaches the gateway asynchronously (LISTEN): once its list no longer shows the
    // tool, a call must be refused without reaching the upstream. (Calling before that could
    // legitimately run the tool, which made this test flaky when it polled with calls.)
    await waitFor(async () =>
      (await agent.listTools()).tools.every((t) => t.name !== 'search_tweets') ? true : undefined,
    );
    const refused = await agent.callTool({ name: 'search_tweets', arguments: { query: 'x' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^Denied by policy \(pinning\): Tool search_tweets/);
    expect(readCallLog(logFile).map((c) => c.tool)).not.toContain('search_tweets');
  });

  it('answers a header/body mismatch with 400 and -32020, and never calls the tool', async () => {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'get_timeline', arguments: { count: 1 }, _meta: envelope() },
    };
    const headers = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call' };
    const wrongName = await post(gateway, seeded, body, { ...headers, 'mcp-name': 'get_tweet' });
    expect(wrongName.status).toBe(400);
    expect(wrongName.json.error?.code).toBe(-32020);
    expect(wrongName.json.error?.message).toContain('Mcp-Name');
    const noName = await post(gateway, seeded, body, headers);
    expect(noName.status).toBe(400);
    expect(noName.json.error?.code).toBe(-32020);
    const wrongMethod = await post(gateway, seeded, body, {
      ...headers,
      'mcp-method': 'tools/list',
      'mcp-name': 'get_timeline',
    });
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.json.error?.code).toBe(-32020);
    const wrongVersion = await post(gateway, seeded, body, {
      ...headers,
      'mcp-protocol-version': '2025-11-25',
      'mcp-name': 'get_timeline',
    });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.json.error?.code).toBe(-32020);
    const badSentinel = await post(gateway, seeded, body, {
      ...headers,
      'mcp-name': '=?base64?not base64?=',
    });
    expect(badSentinel.status).toBe(400);
    expect(badSentinel.json.error?.code).toBe(-32020);
    // The sentinel form of the right name is accepted.
    const encoded = await post(gateway, seeded, body, {
      ...headers,
      'mcp-name': `=?base64?${Buffer.from('get_timeline').toString('base64')}?=`,
    });
    expect(encoded.status).toBe(200);
    expect(encoded.json.result).toMatchObject({ resultType: 'complete' });
    expect(readCallLog(logFile).filter((c) => c.tool === 'get_timeline')).toHaveLength(1);
  });

  it('serves modern requests on the token-in-URL form of the grant URL too', async () => {
    const res = await fetch(`${gateway.url}/g/${seeded.token}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'server/discover',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'server/discover',
        params: { _meta: envelope() },
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: 9,
      result: { resultType: 'complete', supportedVersions: [MODERN], cacheScope: 'private' },
    });
  });

  it('answers an unsupported version with 400, -32022 and the supported list', async () => {
    const body = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: envelope('2099-01-01') } };
    const answer = await post(gateway, seeded, body, {
      'mcp-protocol-version': '2099-01-01',
      'mcp-method': 'tools/list',
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error?.code).toBe(-32022);
    expect(answer.json.error?.data).toMatchObject({ supported: [MODERN], requested: '2099-01-01' });
    expect(answer.json.id).toBe(2);
  });

  it('answers removed and unknown methods with HTTP 404 and -32601, and never forwards them', async () => {
    const before = readCallLog(logFile).length;
    const removed = [
      'initialize',
      'ping',
      'logging/setLevel',
      'resources/subscribe',
      'resources/unsubscribe',
    ];
    for (const method of [...removed, 'vendor/anything', 'tasks/list']) {
      const params =
        method === 'logging/setLevel'
          ? { level: 'debug', _meta: envelope() }
          : method.startsWith('resources/')
            ? { uri: 'twikit://x', _meta: envelope() }
            : { _meta: envelope() };
      const answer = await post(
        gateway,
        seeded,
        { jsonrpc: '2.0', id: 11, method, params },
        { 'mcp-protocol-version': MODERN, 'mcp-method': method },
      );
      expect(answer.status, method).toBe(404);
      expect(answer.json.id).toBe(11);
      expect(answer.json.error?.code, method).toBe(-32601);
      expect(answer.json.error?.message).toContain(`Method not found: ${method}`);
    }
    expect(readCallLog(logFile).length).toBe(before);
  });

  it('refuses a forged or foreign requestState with a clear error', async () => {
    const headers = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_tweet' };
    const forged = await post(
      gateway,
      seeded,
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: {
          name: 'get_tweet',
          arguments: { tweet_id: TWEET },
          requestState: 'pc1.e30.AAAA',
          _meta: envelope(),
        },
      },
      headers,
    );
    expect(forged.json.error).toMatchObject({
      code: -32602,
      message: expect.stringContaining('not issued by this gateway'),
    });
    const huge = await post(
      gateway,
      seeded,
      {
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: {
          name: 'get_tweet',
          arguments: { tweet_id: TWEET },
          requestState: 'x'.repeat(5000),
          _meta: envelope(),
        },
      },
      headers,
    );
    expect(huge.json.error).toMatchObject({ code: -32602, message: expect.stringContaining('longer than') });
    const stray = await post(
      gateway,
      seeded,
      {
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: {
          name: 'get_tweet',
          arguments: { tweet_id: TWEET },
          inputResponses: { a: {} },
          _meta: envelope(),
        },
      },
      headers,
    );
    expect(stray.json.error).toMatchObject({
      code: -32602,
      message: expect.stringContaining('inputResponses without requestState'),
    });
  });

  it('keeps legacy sessions working on the same grant, at the same time', async () => {
    const legacy = await connectAgent(gateway, seeded);
    try {
      const [modernResult, legacyResult] = await Promise.all([
        agent.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } }),
        legacy.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } }) as Promise<CallToolResult>,
      ]);
      expect(modernResult.isError).toBeFalsy();
      expect(legacyResult.isError).toBeFalsy();
      expect(legacy.getServerVersion()?.name).toBe('twitter');
      const versions = await waitFor(async () => {
        const rows = (await auditRows(seeded.serverId)).filter(
          (a) => a.toolName === 'get_tweet' && a.upstreamOutcome === 'ok',
        );
        const set = new Set(rows.map((r) => r.protocolVersion));
        return set.size >= 2 ? set : undefined;
      });
      expect([...versions].sort()).toEqual(['2025-11-25', MODERN]);
    } finally {
      await legacy.close();
    }
  });

  it('tells a subscriptions/listen stream when the policy changes the tool list, and honors only tool list changes', async () => {
    const changed: unknown[] = [];
    agent.setNotificationHandler('notifications/tools/list_changed', (n) => void changed.push(n));
    const subscription = await agent.listen({
      toolsListChanged: true,
      promptsListChanged: true,
      resourceSubscriptions: ['twikit://x'],
    });
    try {
      expect(subscription.honoredFilter).toEqual({ toolsListChanged: true });
      await setPolicy(seeded.organizationId, seeded.serverId, {
        ...POLICY,
        tools: { ...POLICY.tools, get_timeline: { action: 'hide' } },
      });
      await waitFor(() => changed.length > 0 || undefined);
      expect((await agent.listTools()).tools.map((t) => t.name)).not.toContain('get_timeline');
    } finally {
      await subscription.close();
      await setPolicy(seeded.organizationId, seeded.serverId, POLICY);
    }
  });
});

describe('two replicas serving one modern client alternately', () => {
  let a: Gateway;
  let b: Gateway;
  let seeded: Seeded;
  let agent: ModernClient;
  const sent: Sent[] = [];
  const logFile = tempFile('twikit-modern-replicas.jsonl');

  beforeAll(async () => {
    seeded = await seed(twikitServer(logFile), POLICY);
    [a, b] = await Promise.all([startGateway(), startGateway()]);
    agent = await connectModern(seeded, [a.url, b.url], sent);
  });

  afterAll(async () => {
    await agent?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('has no stickiness and keeps limits exact across replicas', async () => {
    const results = [];
    for (let i = 0; i < 6; i++)
      results.push(await agent.callTool({ name: 'get_user_info', arguments: { screen_name: 'alice' } }));
    expect(results.map((r) => Boolean(r.isError))).toEqual([false, false, false, true, true, true]);
    expect(readCallLog(logFile).filter((c) => c.tool === 'get_user_info')).toHaveLength(3);
    const calls = sent.filter((s) => s.body?.method === 'tools/call');
    expect(new Set(calls.map((c) => c.url))).toEqual(new Set([a.url, b.url]));
    const rows = await waitFor(async () => {
      const r = (await auditRows(seeded.serverId)).filter((x) => x.toolName === 'get_user_info');
      return r.length === 6 ? r : undefined;
    });
    expect(rows.map((r) => r.decision).sort()).toEqual([
      'allow',
      'allow',
      'allow',
      'rate_limited',
      'rate_limited',
      'rate_limited',
    ]);
    expect(rows.every((r) => r.protocolVersion === MODERN)).toBe(true);
  });
});

describe('session-scoped limits for stateless clients', () => {
  let gateway: Gateway;
  let seeded: Seeded;

  beforeAll(async () => {
    seeded = await seed(twikitServer(tempFile('twikit-modern-session-scope.jsonl')), {
      version: '1',
      default: 'deny',
      tools: { get_tweet: { action: 'allow', limits: [{ window: 'minute', max: 2, scope: 'session' }] } },
    });
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('count per grant: declaring other capabilities (another pooled upstream session) starts no fresh budget', async () => {
    const headers = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'get_tweet' };
    const capabilities = [{}, { sampling: {} }, { elicitation: {} }, { roots: {} }];
    const answers = [];
    for (const [i, declared] of capabilities.entries()) {
      const _meta = { ...envelope(), 'io.modelcontextprotocol/clientCapabilities': declared };
      answers.push(
        await post(
          gateway,
          seeded,
          {
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: 'get_tweet', arguments: { tweet_id: TWEET }, _meta },
          },
          headers,
        ),
      );
    }
    const limited = answers.map(
      (a) => a.json.result?.isError === true && /Rate limited/.test(text(a.json.result)),
    );
    expect(limited).toEqual([false, false, true, true]);
  });
});

describe('revoking a grant used by a modern client', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: ModernClient;

  beforeAll(async () => {
    seeded = await seed(twikitServer(tempFile('twikit-modern-revoke.jsonl')), POLICY);
    gateway = await startGateway();
    agent = await connectModern(seeded, [gateway.url]);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('ends its listen streams at once and refuses its next request', async () => {
    expect((await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } })).isError).toBeFalsy();
    const subscription = await agent.listen({ toolsListChanged: true });
    const db = testDb();
    await db.grant.update({ where: { id: seeded.grantId }, data: { revokedAt: new Date() } });
    await notifyChange(db, { type: 'grant', organizationId: seeded.organizationId, grantId: seeded.grantId });
    expect(
      await Promise.race([subscription.closed, new Promise((r) => setTimeout(() => r('still open'), 5_000))]),
    ).not.toBe('still open');
    // The token-in-URL form answers the same way: the grant no longer lets anyone in.
    const res = await fetch(`${gateway.url}/g/${seeded.token}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope() } }),
    });
    expect(res.status).toBe(401);
    await expect(agent.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } })).rejects.toThrow();
  });
});
