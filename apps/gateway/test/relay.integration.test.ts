// The gateway as a message-level relay: what the upstream sends reaches the agent as it was sent
// (unknown fields, _meta, unknown methods and notifications), what the agent sends reaches the
// upstream as it was sent, order is kept, and ids and progress tokens are mapped so that agents
// sharing one stdio process never see each other's traffic. Real gateway and PostgreSQL; the
// upstream is fixtures/raw-server.mjs (raw JSON lines, logs every message it reads); agents are the
// SDK's Client and, where the SDK would strip or reshape things, raw HTTP POSTs.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  connectAgent,
  nodeScriptServer,
  seed,
  startGateway,
  tempFile,
  testDb,
  textOf,
  waitFor,
  type Seeded,
} from './harness.ts';

const rawServer = fileURLToPath(new URL('./fixtures/raw-server.mjs', import.meta.url));
const TOOLS = JSON.parse(
  readFileSync(new URL('./fixtures/raw-server-tools.json', import.meta.url), 'utf8'),
) as Array<Record<string, unknown>>;

type Message = {
  jsonrpc: '2.0';
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
};

/** The `data:` payloads of a text/event-stream body. */
function sseMessages(text: string): Message[] {
  return text
    .split('\n\n')
    .map((event) =>
      event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n'),
    )
    .filter(Boolean)
    .map((data) => JSON.parse(data) as Message);
}

/** Every message a raw-server wrote to its log file, in order (none before it started). */
function loggedMessages(logFile: string): Message[] {
  return existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Message)
    : [];
}

/** A raw initialize POST to the grant's endpoint (the answer as it came). */
function postInitialize(
  gateway: Gateway,
  seeded: Pick<Seeded, 'serverId' | 'token'>,
  clientName = 'raw-agent',
): Promise<Response> {
  return fetch(`${gateway.url}/mcp/${seeded.serverId}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${seeded.token}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: clientName, version: '1' },
      },
    }),
  });
}

/** An agent speaking raw JSON-RPC over Streamable HTTP (nothing parsed or dropped on its side). */
class RawAgent {
  private constructor(
    private readonly endpoint: string,
    private readonly token: string,
    readonly sessionId: string,
    readonly initializeResult: Record<string, unknown>,
  ) {}

  static async connect(gateway: Gateway, seeded: Pick<Seeded, 'serverId' | 'token'>): Promise<RawAgent> {
    const endpoint = `${gateway.url}/mcp/${seeded.serverId}`;
    const res = await postInitialize(gateway, seeded);
    expect(res.status).toBe(200);
    const sessionId = res.headers.get('mcp-session-id');
    expect(sessionId).toBeTruthy();
    const [answer] = await RawAgent.messagesOf(res);
    const agent = new RawAgent(endpoint, seeded.token, sessionId!, answer!.result!);
    expect((await agent.post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    return agent;
  }

  private static async messagesOf(res: Response): Promise<Message[]> {
    const text = await res.text();
    if (res.status === 202 || text === '') return [];
    return (res.headers.get('content-type') ?? '').includes('text/event-stream')
      ? sseMessages(text)
      : ([JSON.parse(text)].flat() as Message[]);
  }

  private headers(accept = 'application/json, text/event-stream'): Record<string, string> {
    return {
      authorization: `Bearer ${this.token}`,
      accept,
      'content-type': 'application/json',
      'mcp-session-id': this.sessionId,
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    };
  }

  /** POSTs a message (or batch); resolves with every message of the answer, in order, once it ended. */
  async post(
    message: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; contentType: string | null; messages: Message[] }> {
    return this.postText(JSON.stringify(message), signal);
  }

  /** POSTs a body as written (for JSON that JSON.stringify could not produce, e.g. nested 100,000 deep). */
  async postText(
    body: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; contentType: string | null; messages: Message[] }> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: this.headers(),
      body,
      ...(signal ? { signal } : {}),
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      messages: await RawAgent.messagesOf(res),
    };
  }

  /** POSTs a request whose answer is read as it arrives (`messages` fills; `done` once the answer ended). */
  async postStreaming(message: unknown): Promise<{ messages: Message[]; done: Promise<void> }> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(message),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const messages: Message[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const done = (async () => {
      for (;;) {
        const { done: ended, value } = await reader.read();
        if (ended) return;
        buffered += decoder.decode(value, { stream: true });
        const end = buffered.lastIndexOf('\n\n');
        if (end < 0) continue;
        messages.push(...sseMessages(buffered.slice(0, end)));
        buffered = buffered.slice(end + 2);
      }
    })();
    return { messages, done };
  }

  /** The result of one request (fails the test on an error answer). */
  async request(
    id: string | number,
    method: string,
    params: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { messages } = await this.post({ jsonrpc: '2.0', id, method, params });
    const answer = messages.find((m) => m.id === id && m.method === undefined);
    expect(answer?.error, JSON.stringify(answer?.error)).toBeUndefined();
    return answer!.result!;
  }

  /** Opens the standalone GET stream; `messages` fills as events arrive. */
  async openStream(): Promise<{ messages: Message[]; close(): void }> {
    const controller = new AbortController();
    const res = await fetch(this.endpoint, {
      method: 'GET',
      headers: this.headers('text/event-stream'),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const messages: Message[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffered += decoder.decode(value, { stream: true });
        const end = buffered.lastIndexOf('\n\n');
        if (end < 0) continue;
        messages.push(...sseMessages(buffered.slice(0, end)));
        buffered = buffered.slice(end + 2);
      }
    })().catch(() => undefined);
    return { messages, close: () => controller.abort() };
  }

  async close(): Promise<void> {
    await fetch(this.endpoint, { method: 'DELETE', headers: this.headers() }).catch(() => undefined);
  }
}

describe('the gateway relays messages verbatim (raw stdio upstream)', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const raws: RawAgent[] = [];
  const logFile = tempFile('raw-server-seen.log');
  /** Every message the upstream read, in order. */
  const upstreamSaw = (): Message[] => loggedMessages(logFile);
  const upstreamCall = (
    predicate: (args: Record<string, unknown>, m: Message) => boolean,
  ): Message | undefined =>
    upstreamSaw().find(
      (m) =>
        m.method === 'tools/call' && predicate((m.params?.arguments ?? {}) as Record<string, unknown>, m),
    );
  const rawAgent = async () => {
    const raw = await RawAgent.connect(gateway, seeded);
    raws.push(raw);
    return raw;
  };

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(rawServer, logFile), { version: '1', default: 'allow' });
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
  });

  afterAll(async () => {
    await Promise.allSettled(raws.map((r) => r.close()));
    await agent?.close();
    await gateway?.close();
  });

  it("initializes with the upstream's identity and capabilities, experimental ones included", async () => {
    const raw = await rawAgent();
    expect(raw.initializeResult).toEqual({
      protocolVersion: LATEST_PROTOCOL_VERSION,
      // tools.listChanged is the gateway's own (policy changes alter the list).
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true },
        logging: {},
        experimental: { 'x-vendor-feature': { on: true } },
      },
      serverInfo: { name: 'raw-server', version: '2.1.0' },
      instructions: 'Raw JSON lines.',
    });
    expect(agent.getServerCapabilities()?.experimental).toEqual({ 'x-vendor-feature': { on: true } });
  });

  it('passes tools/list through with every unknown field of the tools and of the page', async () => {
    const raw = await rawAgent();
    const result = await raw.request(1, 'tools/list', {});
    // (vendor_annotated: see the next test.)
    expect({
      ...result,
      tools: (result.tools as Array<{ name: string }>).filter((t) => t.name !== 'vendor_annotated'),
    }).toEqual({
      tools: TOOLS.filter((t) => t.name !== 'vendor_annotated'),
      _meta: { 'vendor/page': 1 },
      'x-page-info': { total: TOOLS.length },
    });
    // The SDK agent sees the fields it models unchanged.
    const echo = (await agent.listTools()).tools.find((t) => t.name === 'echo')!;
    expect(echo.icons).toEqual(TOOLS[0]!.icons);
    expect(echo.outputSchema).toEqual(TOOLS[0]!.outputSchema);
    expect(echo.annotations).toEqual(TOOLS[0]!.annotations);
    expect(echo._meta).toEqual(TOOLS[0]!._meta);
  });

  // The catalog hashes the tool as the SDK's ToolSchema parsed it (dropping keys it does not model
  // inside `annotations`); tools/list must compare in that form too, or the tool counts as drifted
  // and is left out of every list though the catalog shows it approved (a bug the relay once had).
  it('lists a tool whose annotations carry a key the SDK does not model (approved on first sync)', async () => {
    const row = await testDb().tool.findFirst({
      where: { serverId: seeded.serverId, name: 'vendor_annotated' },
    });
    expect([row?.present, row?.pinState]).toEqual([true, 'approved']);
    const raw = await rawAgent();
    const result = await raw.request(2, 'tools/list', {});
    const listed = (result.tools as Array<{ name: string }>).find((t) => t.name === 'vendor_annotated');
    expect(listed).toEqual(TOOLS.find((t) => t.name === 'vendor_annotated'));
  });

  it('runs the tool whose annotations carry a vendor key (the catalog approved it)', async () => {
    const raw = await rawAgent();
    const result = await raw.request(3, 'tools/call', { name: 'vendor_annotated', arguments: {} });
    expect(result).toEqual({ content: [{ type: 'text', text: 'vendor_annotated ran' }] });
  });

  it('passes a tools/call result through with its unknown fields and _meta, and the call with its own', async () => {
    const raw = await rawAgent();
    const params = {
      name: 'echo',
      arguments: { text: 'hi', marker: 'verbatim-call' },
      _meta: { 'vendor/caller': { a: 1 } },
      'x-call-extra': [1, 'two'],
    };
    const result = await raw.request('call-1', 'tools/call', params);
    expect(result).toEqual({
      content: [
        {
          type: 'text',
          text: 'echo',
          annotations: { audience: ['user'], priority: 0.5 },
          _meta: { 'vendor/part': 1 },
        },
      ],
      structuredContent: { args: { text: 'hi', marker: 'verbatim-call' } },
      isError: false,
      _meta: { 'vendor/trace': 't-1', nested: { a: [1, 2] } },
      'x-vendor-result': { kept: true, list: [{ x: 1 }] },
    });
    // The upstream got the agent's params as sent (no progress token: nothing swapped), under an id of the gateway's.
    const seen = upstreamCall((args) => args.marker === 'verbatim-call')!;
    expect(seen.params).toEqual(params);
    expect(typeof seen.id).toBe('number');
    // The SDK agent gets _meta too.
    const viaSdk = (await agent.callTool({ name: 'echo', arguments: { text: 'sdk' } })) as CallToolResult;
    expect(viaSdk._meta).toEqual({ 'vendor/trace': 't-1', nested: { a: [1, 2] } });
    expect(viaSdk.structuredContent).toEqual({ args: { text: 'sdk' } });
  });

  it('round-trips an unknown method (vendor/echo) with its params', async () => {
    const raw = await rawAgent();
    const params = { anything: { deep: [1, null, 'x'] }, _meta: { 'vendor/k': 'v' } };
    const result = await raw.request('v-1', 'vendor/echo', params);
    expect(result.echoed).toEqual(params);
    const seen = upstreamSaw().find(
      (m) =>
        m.method === 'vendor/echo' &&
        (m.params as { _meta?: unknown })?._meta !== undefined &&
        JSON.stringify(m.params) === JSON.stringify(params),
    )!;
    expect(seen).toBeDefined();
    // The upstream saw the gateway's id, and the agent got the answer under its own.
    expect(result.sawId).toBe(seen.id);
    expect(typeof seen.id).toBe('number');
  });

  it("keeps an agent's own notifications away from a process other agents share (roots changes still reach it)", async () => {
    const raw = await rawAgent();
    // A notification named like a request must never reach an upstream that might act on the name.
    for (const notification of [
      { jsonrpc: '2.0', method: 'notifications/vendor/hello', params: { greeting: 'hi' } },
      {
        jsonrpc: '2.0',
        method: 'tools/call',
        params: { name: 'echo', arguments: { marker: 'as-notification' } },
      },
    ]) {
      expect((await raw.post(notification)).status).toBe(202);
    }
    expect((await raw.post({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' })).status).toBe(202);
    await expect
      .poll(() => upstreamSaw().filter((m) => m.method === 'notifications/roots/list_changed').length)
      .toBeGreaterThan(0);
    expect(
      upstreamSaw().filter(
        (m) => m.method === 'notifications/vendor/hello' || (m.method === 'tools/call' && m.id === undefined),
      ),
    ).toEqual([]);
  });

  it("shows no agent a shared process's notification that belongs to no call in flight (it could be another agent's)", async () => {
    const raw = await rawAgent();
    const stream = await raw.openStream();
    try {
      // notify_after sends vendor/event once its result is out: no call is in flight then, and
      // several sessions share this process.
      const result = await raw.request('after-1', 'tools/call', {
        name: 'notify_after',
        arguments: { tag: 'standalone-1' },
      });
      expect(textOf(result)).toBe('{"done":true}');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(
        stream.messages.filter((m) => m.method === 'vendor/event' && m.params?.after === 'standalone-1'),
      ).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it("delivers the upstream's unknown notification during a call on that call's stream, before its result", async () => {
    const raw = await rawAgent();
    const answer = await raw.post({
      jsonrpc: '2.0',
      id: 'during-1',
      method: 'tools/call',
      params: { name: 'notify_during', arguments: { tag: 'raw-during' } },
    });
    expect(answer.contentType).toContain('text/event-stream');
    expect(answer.messages).toEqual([
      { jsonrpc: '2.0', method: 'vendor/event', params: { during: 'raw-during', _meta: { 'vendor/n': 1 } } },
      { jsonrpc: '2.0', id: 'during-1', result: { content: [{ type: 'text', text: '{"done":true}' }] } },
    ]);
    // The SDK agent gets it too (through its fallback handler).
    const received: unknown[] = [];
    agent.fallbackNotificationHandler = async (n) => void received.push(n);
    try {
      await agent.callTool({ name: 'notify_during', arguments: { tag: 'sdk-during' } });
      await expect
        .poll(() =>
          received.filter((n) => (n as { params?: { during?: string } }).params?.during === 'sdk-during'),
        )
        .toEqual([
          {
            jsonrpc: '2.0',
            method: 'vendor/event',
            params: { during: 'sdk-during', _meta: { 'vendor/n': 1 } },
          },
        ]);
    } finally {
      agent.fallbackNotificationHandler = undefined;
    }
  });

  for (const tool of ['progress_then_result', 'progress_separate']) {
    it(`delivers every progress notification before the result (${tool}, 20 calls)`, async () => {
      for (let call = 0; call < 20; call++) {
        const seen: number[] = [];
        const result = (await agent.callTool({ name: tool, arguments: { n: 4 } }, undefined, {
          onprogress: (p) => seen.push(p.progress),
        })) as CallToolResult;
        expect(JSON.parse(textOf(result)).done).toBe(true);
        expect(seen, `call ${call}`).toEqual([1, 2, 3, 4]);
      }
    });
  }

  it('carries progress back under the agent’s own token, in order before the result, on the raw stream', async () => {
    const raw = await rawAgent();
    const answer = await raw.post({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: {
        name: 'progress_then_result',
        arguments: { n: 2, marker: 'raw-progress' },
        _meta: { progressToken: 'agent-token' },
      },
    });
    const seen = upstreamCall((args) => args.marker === 'raw-progress')!;
    // The upstream saw the gateway's token (its own request id), not the agent's.
    expect((seen.params!._meta as { progressToken: unknown }).progressToken).toBe(seen.id);
    expect(answer.messages).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'agent-token', progress: 1, total: 2 },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'agent-token', progress: 2, total: 2 },
      },
      {
        jsonrpc: '2.0',
        id: 5,
        result: { content: [{ type: 'text', text: JSON.stringify({ done: true, sawId: seen.id }) }] },
      },
    ]);
  });

  it("cancels upstream with the upstream's id when the SDK agent aborts a call", async () => {
    const controller = new AbortController();
    const call = agent.callTool({ name: 'slow', arguments: { marker: 'sdk-cancel' } }, undefined, {
      signal: controller.signal,
    });
    const settled = call.then(
      () => 'resolved',
      () => 'rejected',
    );
    const seen = await waitFor(() => upstreamCall((args) => args.marker === 'sdk-cancel'), 5_000, 10);
    controller.abort('changed my mind');
    expect(await settled).toBe('rejected');
    const cancels = await waitFor(() => {
      const found = upstreamSaw().filter(
        (m) => m.method === 'notifications/cancelled' && m.params?.requestId === seen.id,
      );
      return found.length > 0 ? found : undefined;
    }, 5_000);
    expect(cancels).toHaveLength(1);
    expect(typeof cancels[0]!.params!.requestId).toBe('number');
  });

  it("cancels upstream with the upstream's id, never the agent's, for a raw agent's cancel", async () => {
    const raw = await rawAgent();
    const controller = new AbortController();
    const pending = raw
      .post(
        {
          jsonrpc: '2.0',
          id: 'agent-slow-1',
          method: 'tools/call',
          params: { name: 'slow', arguments: { marker: 'raw-cancel' } },
        },
        controller.signal,
      )
      .catch(() => undefined);
    try {
      const seen = await waitFor(() => upstreamCall((args) => args.marker === 'raw-cancel'), 5_000, 10);
      expect(seen.id).not.toBe('agent-slow-1');
      const before = upstreamSaw().length;
      expect(
        (
          await raw.post({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: 'agent-slow-1', reason: 'no longer needed' },
          })
        ).status,
      ).toBe(202);
      await expect
        .poll(() =>
          upstreamSaw()
            .slice(before)
            .filter((m) => m.method === 'notifications/cancelled'),
        )
        .toEqual([
          {
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: seen.id, reason: 'The client cancelled the request' },
          },
        ]);
      // The agent's own cancellation is not passed on as well (with an id the upstream never gave out).
      expect(
        upstreamSaw().some(
          (m) => m.method === 'notifications/cancelled' && m.params?.requestId === 'agent-slow-1',
        ),
      ).toBe(false);
    } finally {
      controller.abort();
      await pending;
    }
  });

  it('keeps two agents with the same request id and progress token apart on the shared stdio process', async () => {
    const [a, b] = [await rawAgent(), await rawAgent()];
    const call = (agentRaw: RawAgent, tag: string) =>
      agentRaw.post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'paired', arguments: { tag }, _meta: { progressToken: 'tok' } },
      });
    const [answerA, answerB] = await Promise.all([call(a, 'A'), call(b, 'B')]);
    const seenA = upstreamCall((args) => args.tag === 'A')!;
    const seenB = upstreamCall((args) => args.tag === 'B')!;
    // One process for both sessions, two ids and two tokens of the gateway's.
    expect(seenA.id).not.toBe(seenB.id);
    expect((seenA.params!._meta as { progressToken: unknown }).progressToken).toBe(seenA.id);
    expect((seenB.params!._meta as { progressToken: unknown }).progressToken).toBe(seenB.id);
    for (const [answer, tag, seen] of [
      [answerA, 'A', seenA],
      [answerB, 'B', seenB],
    ] as const) {
      expect(answer.messages, tag).toEqual([
        ...[1, 2, 3].map((progress) => ({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken: 'tok', progress, total: 3, message: tag },
        })),
        {
          jsonrpc: '2.0',
          id: 1,
          result: { content: [{ type: 'text', text: JSON.stringify({ tag, sawId: seen.id }) }] },
        },
      ]);
    }
  });

  it("relays the upstream's request to the agent under the session's own id, and the agent's answer back verbatim", async () => {
    const raw = await rawAgent();
    const call = await raw.postStreaming({
      jsonrpc: '2.0',
      id: 'ask-call',
      method: 'tools/call',
      params: { name: 'ask_agent', arguments: { question: 'colour?' } },
    });
    const asked = await waitFor(() => call.messages.find((m) => m.method === 'vendor/ask'), 5_000, 10);
    // The agent sees the request with an id of its session's, not the upstream's.
    expect(asked).toEqual({
      jsonrpc: '2.0',
      id: expect.any(Number),
      method: 'vendor/ask',
      params: { question: 'colour?', _meta: { 'vendor/q': 1 } },
    });
    const answer = { answer: 'blue', _meta: { 'vendor/a': true }, 'x-extra': [1, { y: null }] };
    expect((await raw.post({ jsonrpc: '2.0', id: asked.id, result: answer })).status).toBe(202);
    await call.done;
    const result = call.messages.find((m) => m.id === 'ask-call')!;
    // What reached the upstream: the agent's result, under the upstream's own id.
    expect(JSON.parse(textOf(result.result!))).toEqual({ jsonrpc: '2.0', id: 'up-ask-1', result: answer });
  });

  it("passes the upstream's cancellation of its request to the agent, with the session's id, on the call's stream", async () => {
    // An agent without a GET stream: everything belonging to the call must come on the call's answer.
    const raw = await rawAgent();
    const { messages } = await raw.post({
      jsonrpc: '2.0',
      id: 'cancel-call',
      method: 'tools/call',
      params: { name: 'ask_then_cancel', arguments: {} },
    });
    const asked = messages.find((m) => m.method === 'vendor/ask')!;
    expect(asked).toEqual({
      jsonrpc: '2.0',
      id: expect.any(Number),
      method: 'vendor/ask',
      params: { question: 'never mind' },
    });
    expect(messages).toEqual([
      asked,
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: asked.id, reason: 'The server cancelled the request' },
      },
      { jsonrpc: '2.0', id: 'cancel-call', result: { content: [{ type: 'text', text: 'gave up asking' }] } },
    ]);
  });

  it("passes the upstream's cancellation of its request to the agent's GET stream when it has one", async () => {
    const raw = await rawAgent();
    const stream = await raw.openStream();
    try {
      const { messages } = await raw.post({
        jsonrpc: '2.0',
        id: 'cancel-call-2',
        method: 'tools/call',
        params: { name: 'ask_then_cancel', arguments: {} },
      });
      const asked = messages.find((m) => m.method === 'vendor/ask')!;
      expect(typeof asked.id).toBe('number');
      const everywhere = () =>
        [...messages, ...stream.messages].filter((m) => m.method === 'notifications/cancelled');
      await expect.poll(everywhere).toEqual([
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: asked.id, reason: 'The server cancelled the request' },
        },
      ]);
    } finally {
      stream.close();
    }
  });

  it('answers a tools/call whose name is not a string with -32602, without asking the upstream', async () => {
    const raw = await rawAgent();
    const before = upstreamSaw().length;
    const { messages } = await raw.post({
      jsonrpc: '2.0',
      id: 'bad-name',
      method: 'tools/call',
      params: { name: 42, arguments: {} },
    });
    expect(messages).toEqual([
      {
        jsonrpc: '2.0',
        id: 'bad-name',
        error: { code: -32602, message: 'Invalid params for tools/call: name must be a string' },
      },
    ]);
    // A call after it reaches the upstream, the bad one never did.
    await raw.request('good', 'tools/call', { name: 'echo', arguments: { marker: 'after-bad' } });
    expect(
      upstreamSaw()
        .slice(before)
        .filter((m) => m.method === 'tools/call')
        .map((m) => m.params?.name),
    ).toEqual(['echo']);
  });

  it('answers a tools/list whose cursor is not a string with -32602, without asking the upstream', async () => {
    const raw = await rawAgent();
    const before = upstreamSaw().length;
    const { messages } = await raw.post({
      jsonrpc: '2.0',
      id: 'bad-cursor',
      method: 'tools/list',
      params: { cursor: {} },
    });
    expect(messages).toEqual([
      {
        jsonrpc: '2.0',
        id: 'bad-cursor',
        error: { code: -32602, message: 'Invalid params for tools/list: cursor must be a string' },
      },
    ]);
    expect(
      upstreamSaw()
        .slice(before)
        .filter((m) => m.method === 'tools/list'),
    ).toEqual([]);
  });
});

describe('what the relay refuses before anything reaches the upstream', () => {
  let gateway: Gateway;
  let allowAll: Seeded;
  let denyAll: Seeded;
  const allowLog = tempFile('raw-server-allow.log');
  const denyLog = tempFile('raw-server-deny.log');
  const saw = (file: string): Message[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Message)
      : [];

  beforeAll(async () => {
    allowAll = await seed(nodeScriptServer(rawServer, allowLog), { version: '1', default: 'allow' });
    denyAll = await seed(nodeScriptServer(rawServer, denyLog), {
      version: '1',
      default: 'deny',
      tools: { echo: { action: 'allow' } },
    });
    // The session's own bound (64 in flight) is what is checked here, so admission's caps sit above it.
    gateway = await startGateway({
      admission: {
        maxInFlight: 256,
        maxInFlightPerOrganization: 128,
        maxInFlightPerGrant: 128,
        waitMs: 1000,
      },
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('relays a method it does not know only when the policy default allows it, and audits it either way', async () => {
    const allowed = await RawAgent.connect(gateway, allowAll);
    const denied = await RawAgent.connect(gateway, denyAll);
    try {
      expect(await allowed.request('v1', 'vendor/echo', { say: 'hi' })).toMatchObject({
        echoed: { say: 'hi' },
      });
      const { messages } = await denied.post({
        jsonrpc: '2.0',
        id: 'v2',
        method: 'vendor/echo',
        params: { say: 'hi' },
      });
      expect(messages[0]?.error).toMatchObject({
        code: -32600,
        message: expect.stringContaining('No policy rule allows vendor/echo'),
      });
      expect(saw(denyLog).filter((m) => m.method === 'vendor/echo')).toEqual([]);
      const rows = await testDb().auditEvent.findMany({
        where: { method: 'vendor/echo', serverId: { in: [allowAll.serverId, denyAll.serverId] } },
      });
      expect(
        rows.map((r) => [r.serverId === allowAll.serverId ? 'allow-all' : 'deny-all', r.decision]).sort(),
      ).toEqual([
        ['allow-all', 'allow'],
        ['deny-all', 'deny'],
      ]);
    } finally {
      await Promise.all([allowed.close(), denied.close()]);
    }
  });

  it('refuses tasks, params nested too deep, and request-named notifications with the right code', async () => {
    const raw = await RawAgent.connect(gateway, allowAll);
    try {
      const before = saw(allowLog).length;
      const deep = `{"jsonrpc":"2.0","id":"t3","method":"tools/call","params":{"name":"echo","arguments":{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`;
      const answers = await Promise.all([
        raw.post({ jsonrpc: '2.0', id: 't1', method: 'tasks/list', params: {} }),
        raw.post({
          jsonrpc: '2.0',
          id: 't2',
          method: 'tools/call',
          params: { name: 'echo', arguments: {}, task: { ttl: 1000 } },
        }),
        raw.postText(deep),
        raw.post({ jsonrpc: '2.0', id: 't4', method: 'notifications/cancelled', params: { requestId: 1 } }),
      ]);
      expect(answers.map((a) => a.messages[0]?.error?.code)).toEqual([-32601, -32602, -32602, -32600]);
      expect(answers[2]!.messages[0]!.error!.message).toMatch(/nested more than 64 levels/);
      // Nothing of it reached the process, and the gateway still answers.
      expect(
        saw(allowLog)
          .slice(before)
          .filter((m) => m.method !== 'notifications/initialized'),
      ).toEqual([]);
      expect(
        await raw.request('t5', 'tools/call', { name: 'echo', arguments: { marker: 'still-fine' } }),
      ).toMatchObject({ content: expect.any(Array) });
    } finally {
      await raw.close();
    }
  });

  it('bounds the requests one session has in flight', async () => {
    const agent = await connectAgent(gateway, allowAll);
    const stop = new AbortController();
    try {
      const held = Array.from({ length: 64 }, () =>
        agent
          .callTool({ name: 'slow', arguments: {} }, undefined, { signal: stop.signal })
          .catch(() => 'cancelled'),
      );
      await waitFor(
        () =>
          saw(allowLog).filter((m) => m.method === 'tools/call' && m.params?.name === 'slow').length >= 64 ||
          undefined,
      );
      await expect(agent.callTool({ name: 'echo', arguments: {} })).rejects.toThrow(
        /Too many requests in flight in this session \(at most 64\)/,
      );
      stop.abort();
      await Promise.all(held);
      // Cancelled calls leave room again.
      await waitFor(
        async () =>
          await agent.callTool({ name: 'echo', arguments: { marker: 'room' } }).then(
            () => true,
            () => undefined,
          ),
      );
    } finally {
      stop.abort();
      await agent.close();
    }
  });
});

describe('several sessions on one shared stdio process: subscriptions and the upstream’s requests', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  const raws: RawAgent[] = [];
  const logFile = tempFile('raw-server-shared.log');
  const upstreamSaw = (): Message[] => loggedMessages(logFile);
  const unsubscribesSeen = (uri: string) =>
    upstreamSaw().filter((m) => m.method === 'resources/unsubscribe' && m.params?.uri === uri).length;
  const rawAgent = async () => {
    const raw = await RawAgent.connect(gateway, seeded);
    raws.push(raw);
    return raw;
  };
  /** The JSON-RPC message the upstream got back for its vendor/ask (ask_agent's result is it, verbatim). */
  const askAnswer = (result: Message) => JSON.parse(textOf(result.result!)) as Message;

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(rawServer, logFile), {
      version: '1',
      default: 'allow',
      // A call of echo waits for a person (held here for the whole test), touching no upstream.
      tools: { echo: { action: 'require_approval', approval: { timeout: 300 } } },
    });
    gateway = await startGateway({ approvalHoldMs: 60_000 });
  });

  afterAll(async () => {
    await Promise.allSettled(raws.map((r) => r.close()));
    await gateway?.close();
  });

  it('ends a subscription at the process only when its last session unsubscribes, and on close', async () => {
    const a = await rawAgent();
    const b = await rawAgent();
    const bStream = await b.openStream();
    const aStream = await a.openStream();
    try {
      await a.request('sa', 'resources/subscribe', { uri: 'res://shared' });
      await a.request('sa2', 'resources/subscribe', { uri: 'res://only-a' });
      await b.request('sb', 'resources/subscribe', { uri: 'res://shared' });
      // A leaves the shared URI: the gateway answers, the process keeps the subscription for B.
      expect(await a.request('ua', 'resources/unsubscribe', { uri: 'res://shared' })).toEqual({});
      expect(unsubscribesSeen('res://shared')).toBe(0);
      await b.request('touch', 'tools/call', { name: 'touch_resource', arguments: { uri: 'res://shared' } });
      await waitFor(() =>
        bStream.messages.find(
          (m) => m.method === 'notifications/resources/updated' && m.params?.uri === 'res://shared',
        ),
      );
      expect(aStream.messages.filter((m) => m.method === 'notifications/resources/updated')).toEqual([]);
      // The last subscriber leaves: now the process hears it, once.
      expect(await b.request('ub', 'resources/unsubscribe', { uri: 'res://shared' })).toEqual({});
      expect(unsubscribesSeen('res://shared')).toBe(1);
      // A closes while still the only subscriber of res://only-a: the process is told.
      expect(unsubscribesSeen('res://only-a')).toBe(0);
      await a.close();
      await waitFor(() => unsubscribesSeen('res://only-a') === 1 || undefined);
    } finally {
      aStream.close();
      bStream.close();
    }
  });

  it("sends the process's request to the one session with a request waiting on it, not one held for approval", async () => {
    const held = await rawAgent();
    const asker = await rawAgent();
    // held's call waits for a person: in flight at the gateway, never sent to the process (its
    // answer, headers included, comes only when the hold ends, so it is not awaited here).
    const stopHeld = new AbortController();
    const heldCall = held
      .post(
        { jsonrpc: '2.0', id: 'held-1', method: 'tools/call', params: { name: 'echo', arguments: {} } },
        stopHeld.signal,
      )
      .catch(() => ({ messages: [] as Message[] }));
    await waitFor(
      async () =>
        (await testDb().approval.count({ where: { grantId: seeded.grantId, status: 'pending' } })) > 0 ||
        undefined,
    );
    const call = await asker.postStreaming({
      jsonrpc: '2.0',
      id: 'ask-1',
      method: 'tools/call',
      params: { name: 'ask_agent', arguments: { question: 'which of you?' } },
    });
    const asked = await waitFor(() => call.messages.find((m) => m.method === 'vendor/ask'), 5_000, 10);
    expect(asked.params).toEqual({ question: 'which of you?', _meta: { 'vendor/q': 1 } });
    await asker.post({ jsonrpc: '2.0', id: asked.id, result: { answer: 'me' } });
    await call.done;
    expect(askAnswer(call.messages.find((m) => m.id === 'ask-1')!).result).toEqual({ answer: 'me' });
    stopHeld.abort();
    expect((await heldCall).messages.filter((m) => m.method === 'vendor/ask')).toEqual([]);
  });

  it("refuses the process's request when two sessions have a request waiting on it, showing it to neither", async () => {
    const waiting = await rawAgent();
    const asker = await rawAgent();
    const stop = new AbortController();
    const slow = waiting
      .post(
        { jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'slow', arguments: {} } },
        stop.signal,
      )
      .catch(() => undefined);
    try {
      await waitFor(() => upstreamSaw().find((m) => m.method === 'tools/call' && m.params?.name === 'slow'));
      const { messages } = await asker.post({
        jsonrpc: '2.0',
        id: 'ask-2',
        method: 'tools/call',
        params: { name: 'ask_agent', arguments: { question: 'anyone?' } },
      });
      expect(messages.filter((m) => m.method === 'vendor/ask')).toEqual([]);
      const refused = askAnswer(messages.find((m) => m.id === 'ask-2')!);
      expect(refused.error?.message).toMatch(
        /Cannot tell which client session this vendor\/ask request is for: 2 of the \d+ sessions/,
      );
    } finally {
      stop.abort();
      await slow;
    }
  });
});

describe("the grant's session cap counts the warm sessions of stateless (2026-07-28) requests too", () => {
  let gateway: Gateway;
  let seeded: Seeded;
  const raws: RawAgent[] = [];
  const logFile = tempFile('raw-server-cap.log');
  const MODERN = '2026-07-28';
  /** A stateless tools/call declaring these client capabilities (each set is its own pooled session). */
  const modernCall = (name: string, capabilities: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${gateway.url}/mcp/${seeded.serverId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${seeded.token}`,
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': name,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name,
          arguments: {},
          _meta: {
            'io.modelcontextprotocol/protocolVersion': MODERN,
            'io.modelcontextprotocol/clientInfo': { name: 'modern-raw', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': capabilities,
          },
        },
      }),
      ...(signal ? { signal } : {}),
    });
  const slowCallsSeen = () =>
    loggedMessages(logFile).filter((m) => m.method === 'tools/call' && m.params?.name === 'slow').length;

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(rawServer, logFile), { version: '1', default: 'allow' });
    gateway = await startGateway({ maxSessionsPerGrant: 2 });
  });

  afterAll(async () => {
    await Promise.allSettled(raws.map((r) => r.close()));
    await gateway?.close();
  });

  it('refuses a new pooled session and a new agent session at the cap, and makes room once one is idle', async () => {
    const stop = new AbortController();
    // One agent session and one pooled session, each with a call waiting on the upstream.
    const agent = await RawAgent.connect(gateway, seeded);
    raws.push(agent);
    const agentSlow = agent
      .post(
        { jsonrpc: '2.0', id: 's1', method: 'tools/call', params: { name: 'slow', arguments: {} } },
        stop.signal,
      )
      .catch(() => undefined);
    const modernSlow = modernCall('slow', {}, stop.signal).catch(() => undefined);
    try {
      await waitFor(() => slowCallsSeen() === 2 || undefined);
      // Another set of declared capabilities would need a third upstream session: busy, 429.
      const refused = await modernCall('echo', { elicitation: { form: {} } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await refused.json()) as { error: { code: number; message: string; data: unknown } };
      expect(body.error.code).toBe(-32050);
      expect(body.error.message).toMatch(/^Too many open sessions for this grant \(at most 2/);
      // When a slot frees at the latest: admission wait + approval hold + upstream timeout after the newest request.
      const { retryAfterMs } = body.error.data as { retryAfterMs: number };
      expect(retryAfterMs).toBeGreaterThan(30_000);
      expect(retryAfterMs).toBeLessThanOrEqual(1_000 + 45_000 + 30_000);
      // So is a new agent session.
      const initialize = await postInitialize(gateway, seeded, 'third');
      expect(initialize.status).toBe(429);
      expect(((await initialize.json()) as Message).error?.message).toMatch(/Too many open sessions/);
    } finally {
      stop.abort();
      await Promise.all([agentSlow, modernSlow]);
    }
    // Both calls ended: the idle pooled session makes room for the new one.
    const served = await waitFor(async () => {
      const res = await modernCall('echo', { elicitation: { form: {} } });
      return res.status === 200 ? ((await res.json()) as { result?: unknown }) : undefined;
    });
    expect(served.result).toBeDefined();
  });
});

describe('sessions whose clients were killed mid-call are reclaimed at the cap', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  const logFile = tempFile('raw-server-killed.log');
  const seen = (predicate: (m: Message) => boolean) => loggedMessages(logFile).filter(predicate).length;
  const initialize = () => postInitialize(gateway, seeded, 'n');

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(rawServer, logFile), { version: '1', default: 'allow' });
    gateway = await startGateway({
      maxSessionsPerGrant: 2,
      upstreamTimeoutMs: 20_000,
      approvalHoldMs: 10_000,
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('says when a slot frees while the clients live, and gives a killed client’s slot to a new session at once', async () => {
    // Two clients, each with a call the upstream never answers (slow waits to be cancelled).
    const kills = [new AbortController(), new AbortController()];
    const agents = [await RawAgent.connect(gateway, seeded), await RawAgent.connect(gateway, seeded)];
    const calls = agents.map((agent, i) =>
      agent
        .post(
          { jsonrpc: '2.0', id: `slow-${i}`, method: 'tools/call', params: { name: 'slow', arguments: {} } },
          kills[i]!.signal,
        )
        .catch(() => undefined),
    );
    await waitFor(
      () => seen((m) => m.method === 'tools/call' && m.params?.name === 'slow') === 2 || undefined,
    );
    // Both clients are alive and waiting: refused, told when a slot frees at the latest (admission
    // wait 1 s + hold 10 s + upstream timeout 20 s after the newest request).
    const refused = await initialize();
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(20);
    expect(retryAfter).toBeLessThanOrEqual(31);
    expect(((await refused.json()) as Message).error?.message).toMatch(
      /a slot frees when one finishes, at the latest in about \d+ s$/,
    );
    // The clients die (their connections close, nothing is sent): the next sessions take their slots.
    for (const kill of kills) kill.abort();
    await Promise.all(calls);
    const started = Date.now();
    const first = await waitFor(async () => {
      const res = await initialize();
      return res.status === 200 ? res : undefined;
    });
    expect(first.headers.get('mcp-session-id')).toBeTruthy();
    expect((await initialize()).status).toBe(200);
    // Far sooner than the idle period (30 min by default): the cap made room, it did not time out.
    expect(Date.now() - started).toBeLessThan(5_000);
    // The dead sessions' calls were cancelled at the upstream.
    await waitFor(() => seen((m) => m.method === 'notifications/cancelled') === 2 || undefined);
  });
});
