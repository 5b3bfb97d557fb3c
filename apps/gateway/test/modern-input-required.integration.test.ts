// Server-to-client requests across eras: a 2025-era upstream (stdio) asks the client something during
// a 2026-07-28 client's tools/call. Its elicitation, sampling and roots requests become input-required
// results, the client's inputResponses go back upstream as the answers; what has no 2026-07-28 form,
// or what the client did not declare, is refused with an error naming what is missing.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
  type ClientCapabilities,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  nodeScriptServer,
  seed,
  startEverything,
  startGateway,
  tempFile,
  waitFor,
  type ChildServer,
  type Seeded,
} from './harness.ts';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
};

const askingServer = fileURLToPath(new URL('./fixtures/asking-server.mjs', import.meta.url));
const rawServer = fileURLToPath(new URL('./fixtures/raw-server.mjs', import.meta.url));

interface Leg {
  requestState?: unknown;
  inputResponses?: unknown;
  resultType?: unknown;
  inputRequests?: Record<string, { method: string }>;
}

async function connect(
  gateway: Gateway,
  seeded: Seeded,
  capabilities: ClientCapabilities,
  legs: Leg[],
): Promise<ModernClient> {
  const client = new ModernClient(
    { name: 'modern-agent', version: '2.0.0' },
    { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    const body =
      typeof init?.body === 'string'
        ? (JSON.parse(init.body) as { method?: string; params?: Leg })
        : undefined;
    // An SSE answer (progress or logs before the result) is not a leg of interest here.
    const json = response.headers.get('content-type')?.includes('application/json');
    if (body?.method === 'tools/call' && json) {
      const answer = (await response.clone().json()) as { result?: Leg };
      legs.push({
        requestState: body.params?.requestState,
        inputResponses: body.params?.inputResponses,
        resultType: answer.result?.resultType,
        inputRequests: answer.result?.inputRequests,
      });
    }
    return response;
  };
  const transport = new ModernTransport(new URL(`${gateway.url}/mcp/${seeded.serverId}`), {
    requestInit: { headers: { Authorization: `Bearer ${seeded.token}` } },
    fetch: recording,
  });
  await client.connect(transport);
  return client;
}

const textOf = (result: { content?: unknown }) =>
  ((result.content as Array<{ text?: string }>)[0]?.text ?? '') as string;

describe('server-to-client requests from a legacy upstream during a 2026-07-28 call', () => {
  let gateway: Gateway;
  let seeded: Seeded;

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(askingServer), { version: '1', default: 'allow' });
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('turns an elicitation into an input-required result and sends the answer upstream', async () => {
    const legs: Leg[] = [];
    const client = await connect(gateway, seeded, { elicitation: { form: {} } }, legs);
    const asked: unknown[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params);
      return { action: 'accept', content: { name: 'Ada Lovelace' } };
    });
    try {
      const result = await client.callTool({ name: 'ask_elicit', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(textOf(result))).toEqual([
        { result: { action: 'accept', content: { name: 'Ada Lovelace' } } },
      ]);
      expect(asked).toMatchObject([{ message: 'Your name?' }]);
      // Leg 1: input required, with the elicitation; leg 2: the answer, with the state, and the result.
      expect(legs).toHaveLength(2);
      expect(legs[0]).toMatchObject({ resultType: 'input_required', requestState: undefined });
      expect(Object.values(legs[0]!.inputRequests!).map((r) => r.method)).toEqual(['elicitation/create']);
      expect(typeof legs[1]!.requestState).toBe('string');
      expect(Object.keys(legs[1]!.inputResponses as object)).toEqual(Object.keys(legs[0]!.inputRequests!));
      expect(legs[1]!.resultType).toBe('complete');
      const rows = await waitFor(async () => {
        const r = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'ask_elicit');
        return r.length === 1 && r[0]!.upstreamOutcome === 'ok' ? r : undefined;
      });
      expect(rows[0]).toMatchObject({ protocolVersion: '2026-07-28' });
    } finally {
      await client.close();
    }
  });

  it('carries sampling, roots and several rounds', async () => {
    const legs: Leg[] = [];
    const client = await connect(
      gateway,
      seeded,
      { sampling: {}, roots: {}, elicitation: { form: {} } },
      legs,
    );
    let n = 0;
    client.setRequestHandler('sampling/createMessage', async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'hi from the client' },
      model: 'test-model',
      stopReason: 'endTurn',
    }));
    client.setRequestHandler('roots/list', async () => ({
      roots: [{ uri: 'file:///work/project', name: 'project' }],
    }));
    client.setRequestHandler('elicitation/create', async () => ({
      action: 'accept',
      content: { name: `answer ${++n}` },
    }));
    try {
      const sampled = await client.callTool({ name: 'ask_sample', arguments: {} });
      expect(textOf(sampled)).toContain('hi from the client');
      const roots = await client.callTool({ name: 'ask_roots', arguments: {} });
      expect(textOf(roots)).toContain('file:///work/project');
      legs.length = 0;
      const twice = await client.callTool({ name: 'ask_twice', arguments: {} });
      expect(JSON.parse(textOf(twice))).toEqual([
        { result: { action: 'accept', content: { name: 'answer 1' } } },
        { result: { action: 'accept', content: { name: 'answer 2' } } },
      ]);
      expect(legs.map((l) => l.resultType)).toEqual(['input_required', 'input_required', 'complete']);
    } finally {
      await client.close();
    }
  });

  it('answers -32021 (HTTP 400) when the upstream asks for a capability the request did not declare, and cancels the call upstream', async () => {
    const legs: Leg[] = [];
    const client = await connect(gateway, seeded, {}, legs);
    try {
      const error = (await client.callTool({ name: 'ask_elicit', arguments: {} }).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: number; data?: unknown } | undefined;
      expect(error?.code).toBe(-32021);
      expect(error?.data).toEqual({ requiredCapabilities: { elicitation: {} } });
      const rows = await waitFor(async () => {
        const r = (await auditRows(seeded.serverId)).filter((a) => a.toolName === 'ask_elicit');
        return r.some((row) => row.upstreamOutcome === 'cancelled') ? r : undefined;
      });
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    const raw = await fetch(`${gateway.url}/mcp/${seeded.serverId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${seeded.token}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'ask_sample',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'ask_sample', arguments: {}, _meta: ENVELOPE },
      }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({
      id: 7,
      error: { code: -32021, data: { requiredCapabilities: { sampling: {} } } },
    });
  });

  it('refuses a server request that has no 2026-07-28 form, naming it', async () => {
    const client = await connect(gateway, seeded, { elicitation: { form: {} } }, []);
    try {
      const result = await client.callTool({ name: 'ask_vendor', arguments: {} });
      const [answer] = JSON.parse(textOf(result)) as Array<{ error?: { code: number; message: string } }>;
      expect(answer!.error?.code).toBe(-32601);
      expect(answer!.error?.message).toContain('no form for a server request vendor/ask');
    } finally {
      await client.close();
    }
  });

  it('never passes on an upstream result that claims to be input-required: only the gateway makes those', async () => {
    const legs: Leg[] = [];
    const client = await connect(gateway, seeded, {}, legs);
    try {
      const result = await client.callTool({ name: 'claims_input_required', arguments: {} });
      expect(textOf(result)).toBe('done');
      expect(legs.map((l) => l.resultType)).toEqual(['complete']);
    } finally {
      await client.close();
    }
  });

  it('keeps the held call on its replica: another one answers its requestState with a clear error, the first one resumes it', async () => {
    const other = await startGateway();
    const post = async (target: Gateway, params: Record<string, unknown>) => {
      const res = await fetch(`${target.url}/mcp/${seeded.serverId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${seeded.token}`,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': String(params.name ?? 'ask_elicit'),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'ask_elicit', arguments: {}, ...params, _meta: ENVELOPE },
        }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        result?: Record<string, unknown>;
        error?: { code: number; message: string };
      };
    };
    try {
      const first = await post(gateway, {});
      expect(first.result).toMatchObject({
        resultType: 'input_required',
        inputRequests: { 'input-0': { method: 'elicitation/create', params: { message: 'Your name?' } } },
      });
      const requestState = first.result!.requestState as string;
      const inputResponses = { 'input-0': { action: 'accept', content: { name: 'Grace' } } };
      const elsewhere = await post(other, { requestState, inputResponses });
      expect(elsewhere.error).toMatchObject({
        code: -32602,
        message: expect.stringContaining('does not hold'),
      });
      // Bound to its request: the same state for another tool is refused.
      const tampered = await post(gateway, { name: 'ask_sample', requestState, inputResponses });
      expect(tampered.error).toMatchObject({ code: -32602 });
      const resumed = await post(gateway, { requestState, inputResponses });
      expect(resumed.result).toMatchObject({ resultType: 'complete' });
      expect(JSON.stringify(resumed.result)).toContain('Grace');
      // Answered: the state is spent.
      const again = await post(gateway, { requestState, inputResponses });
      expect(again.error).toMatchObject({ code: -32602, message: expect.stringContaining('does not hold') });
    } finally {
      await other.close();
    }
  });
});

describe('a Streamable HTTP upstream (server-everything) behind 2026-07-28 clients', () => {
  let everything: ChildServer;
  let gateway: Gateway;
  let seeded: Seeded;

  beforeAll(async () => {
    everything = await startEverything();
    seeded = await seed(
      { transport: 'streamable_http', url: everything.url },
      { version: '1', default: 'allow' },
    );
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
    await everything?.stop();
  });

  it('initialises the upstream session with the capabilities the requests declare, and carries its elicitation', async () => {
    const legs: Leg[] = [];
    const client = await connect(gateway, seeded, { elicitation: { form: {} }, sampling: {} }, legs);
    client.setRequestHandler('elicitation/create', async () => ({
      action: 'accept',
      content: { name: 'Ada Lovelace', check: true },
    }));
    client.setRequestHandler('sampling/createMessage', async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'sampled by the modern agent' },
      model: 'test-model',
      stopReason: 'endTurn',
    }));
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'mcp-servers/everything' });
      // server-everything offers these tools only to clients that declared elicitation and sampling.
      await waitFor(
        async () =>
          (await client.listTools()).tools.some((t) => t.name === 'trigger-elicitation-request')
            ? true
            : undefined,
        15_000,
        200,
      );
      const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      expect(JSON.stringify(elicited.content)).toContain('Ada Lovelace');
      const sampled = await client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'say hi', maxTokens: 10 },
      });
      expect(JSON.stringify(sampled.content)).toContain('sampled by the modern agent');
      expect(legs.filter((l) => l.resultType === 'input_required').length).toBeGreaterThanOrEqual(2);
    } finally {
      await client.close();
    }
  });
});

describe('cancelling a 2026-07-28 request', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  const seen = tempFile('raw-server-modern-cancel.log');

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(rawServer, seen), { version: '1', default: 'allow' });
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it("streams the call's progress and log messages on the request's SSE response, before the result", async () => {
    const client = await connect(gateway, seeded, {}, []);
    const logs: unknown[] = [];
    client.setNotificationHandler('notifications/message', (n) => void logs.push(n.params));
    const progress: Array<{ progress: number; total?: number }> = [];
    try {
      const result = await client.callTool(
        { name: 'progress_separate', arguments: { n: 3, log: true } },
        { onprogress: (p) => void progress.push(p) },
      );
      expect(JSON.parse(textOf(result))).toMatchObject({ done: true });
      expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
      expect(logs).toMatchObject([{ level: 'info', data: 'working on it' }]);
    } finally {
      await client.close();
    }
  });

  it('closing the request cancels the call upstream', async () => {
    const client = await connect(gateway, seeded, {}, []);
    const upstreamSaw = () =>
      existsSync(seen)
        ? readFileSync(seen, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { id?: unknown; method?: string; params?: Record<string, unknown> })
        : [];
    try {
      const abort = new AbortController();
      const pending = client.callTool({ name: 'slow', arguments: {} }, { signal: abort.signal });
      const call = await waitFor(() =>
        upstreamSaw().find((m) => m.method === 'tools/call' && m.params?.name === 'slow'),
      );
      abort.abort();
      await expect(pending).rejects.toThrow();
      const cancelled = await waitFor(() =>
        upstreamSaw().find((m) => m.method === 'notifications/cancelled'),
      );
      expect(cancelled.params?.requestId).toBe(call.id);
    } finally {
      await client.close();
    }
  });
});
