// OpenTelemetry through a real gateway: a test OTLP/HTTP receiver gets the spans of one tools/call
// (the agent's traceparent as parent; authentication, policy load, decision, audit commit and the
// upstream call as children; identifiers and outcomes as attributes, never argument values), the
// HTTP upstream receives the trace context in its headers and in params._meta, and the audit row
// carries the trace id.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { flushTracing, startTracing, stopTracing } from '../src/ops/tracing.ts';
import { notifyChange } from '@portcullis/db/events';
import { auditRows, connectAgent, seed, startGateway, testDb, waitFor, type Seeded } from './harness.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}

const MARKER = 'argument-value-that-must-not-be-traced';
const AGENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const AGENT_SPAN = '00f067aa0ba902b7';
const HEADER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const HEADER_SPAN = 'b7ad6b7169203331';

describe('OpenTelemetry traces', () => {
  let receiver: http.Server;
  let upstream: http.Server;
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  let upstreamUrl: string;
  const exported: string[] = [];
  const upstreamCalls: Array<{ traceparent: string | undefined; meta: Record<string, unknown> | undefined }> =
    [];
  /** The names of the child spans of the (forwarded) tools/call span of this server's call, once exported. */
  const childrenOfCall = async (serverId: string): Promise<string[]> => {
    const spans = await waitFor(async () => {
      await flushTracing();
      const all = exported.flatMap((body) =>
        (
          JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
        ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
      );
      const call = all.find(
        (s) =>
          s.name === 'tools/call' &&
          s.attributes.some((a) => a.key === 'portcullis.server' && a.value.stringValue === serverId),
      );
      return call && all.some((s) => s.name === 'upstream call' && s.parentSpanId === call.spanId)
        ? { all, call }
        : undefined;
    });
    return spans.all.filter((s) => s.parentSpanId === spans.call.spanId).map((s) => s.name);
  };

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') exported.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
    // The exporter reads the standard variables; JSON over HTTP, exported quickly.
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = endpoint;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
    expect(startTracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint })).toBe(true);

    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const message = JSON.parse(body || '{}') as {
          id?: number;
          method?: string;
          params?: { _meta?: Record<string, unknown> };
        };
        const answer = (result: unknown) =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
        if (message.id === undefined) return void res.writeHead(202).end();
        if (message.method === 'initialize')
          return answer({
            protocolVersion: '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'traced', version: '1' },
          });
        if (message.method === 'tools/list')
          return answer({
            tools: [{ name: 'lookup', description: 'Looks up.', inputSchema: { type: 'object' } }],
          });
        if (message.method === 'tools/call') {
          upstreamCalls.push({
            traceparent: req.headers.traceparent as string | undefined,
            meta: message.params?._meta,
          });
          return answer({ content: [{ type: 'text', text: 'found' }] });
        }
        answer({});
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    seeded = await seed(
      { transport: 'streamable_http', url: upstreamUrl },
      { version: '1', default: 'allow' },
    );
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await stopTracing();
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete process.env.OTEL_BSP_SCHEDULE_DELAY;
    await new Promise((r) => upstream?.close(r));
    await new Promise((r) => receiver?.close(r));
  });

  it('exports one tools/call span under the agent’s trace, with its phases as children and no argument values', async () => {
    const result = await agent.callTool({
      name: 'lookup',
      arguments: { query: MARKER },
      _meta: { traceparent: `00-${AGENT_TRACE}-${AGENT_SPAN}-01` },
    });
    expect(result.isError).toBeFalsy();
    await flushTracing();
    const spans = await waitFor(async () => {
      await flushTracing();
      const all = exported.flatMap((body) =>
        (
          JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
        ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
      );
      const call = all.find((s) => s.name === 'tools/call' && s.traceId === AGENT_TRACE);
      return call && all.some((s) => s.name === 'upstream call' && s.parentSpanId === call.spanId)
        ? all
        : undefined;
    });
    const call = spans.find((s) => s.name === 'tools/call' && s.traceId === AGENT_TRACE)!;
    expect(call.parentSpanId).toBe(AGENT_SPAN);
    const attrs = Object.fromEntries(call.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(attrs).toMatchObject({
      'portcullis.organization': seeded.organizationId,
      'portcullis.grant': seeded.grantId,
      'portcullis.server': seeded.serverId,
      'portcullis.tool': 'lookup',
      'portcullis.decision': 'allow',
      'portcullis.outcome': 'ok',
    });
    const children = spans.filter((s) => s.parentSpanId === call.spanId).map((s) => s.name);
    for (const phase of ['authentication', 'policy load', 'decision', 'audit commit', 'upstream call'])
      expect(children, phase).toContain(phase);
    expect(exported.join('')).not.toContain(MARKER);

    // The upstream got the trace context of its own span (a child of the call), in both places.
    const upstreamSpan = spans.find((s) => s.name === 'upstream call' && s.parentSpanId === call.spanId)!;
    const sent = upstreamCalls.at(-1)!;
    expect(sent.traceparent).toBe(`00-${AGENT_TRACE}-${upstreamSpan.spanId}-01`);
    expect(sent.meta?.traceparent).toBe(sent.traceparent);

    // The audit row links to the trace.
    const row = await waitFor(async () =>
      (await auditRows(seeded.serverId)).find((r) => r.toolName === 'lookup' && r.upstreamOutcome === 'ok'),
    );
    expect((row as unknown as { traceId: string }).traceId).toBe(AGENT_TRACE);
  });

  it('starts a trace of its own when the agent sends none', async () => {
    await agent.callTool({ name: 'lookup', arguments: {} });
    const row = await waitFor(async () => {
      const rows = (await auditRows(seeded.serverId)).filter((r) => r.toolName === 'lookup');
      const mine = rows.find((r) => (r as unknown as { traceId: string | null }).traceId !== AGENT_TRACE);
      return mine && mine.upstreamOutcome === 'ok' ? mine : undefined;
    });
    expect((row as unknown as { traceId: string }).traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(upstreamCalls.at(-1)!.traceparent).toMatch(
      new RegExp(`^00-${(row as unknown as { traceId: string }).traceId}-[0-9a-f]{16}-01$`),
    );
  });

  it('takes the agent’s trace context from the traceparent header of its HTTP request', async () => {
    const client = new Client({ name: 'header-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/${seeded.serverId}`), {
        requestInit: {
          headers: {
            Authorization: `Bearer ${seeded.token}`,
            traceparent: `00-${HEADER_TRACE}-${HEADER_SPAN}-01`,
          },
        },
      }),
    );
    try {
      const result = await client.callTool({ name: 'lookup', arguments: { query: MARKER } });
      expect(result.isError).toBeFalsy();
      const call = await waitFor(async () => {
        await flushTracing();
        return exported
          .flatMap((body) =>
            (
              JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
            ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
          )
          .find((s) => s.name === 'tools/call' && s.traceId === HEADER_TRACE);
      });
      expect(call.parentSpanId).toBe(HEADER_SPAN);
      expect(upstreamCalls.at(-1)!.traceparent).toMatch(new RegExp(`^00-${HEADER_TRACE}-[0-9a-f]{16}-01$`));
      const row = await waitFor(async () =>
        (await auditRows(seeded.serverId)).find(
          (r) => (r as unknown as { traceId: string | null }).traceId === HEADER_TRACE,
        ),
      );
      expect(row.toolName).toBe('lookup');
      expect(exported.join('')).not.toContain(MARKER);
    } finally {
      await client.close();
    }
  });

  it('shows the counters as a child span when the tool has a rate limit', async () => {
    const limited = await seed(
      { transport: 'streamable_http', url: upstreamUrl },
      {
        version: '1',
        default: 'allow',
        tools: { lookup: { limits: [{ window: 'minute', max: 100, scope: 'grant' }] } },
      },
    );
    const client = await connectAgent(gateway, limited);
    try {
      const result = await client.callTool({ name: 'lookup', arguments: { query: MARKER } });
      expect(result.isError).toBeFalsy();
      const children = await childrenOfCall(limited.serverId);
      expect(children).toContain('counters');
      expect(exported.join('')).not.toContain(MARKER);
    } finally {
      await client.close();
    }
  });

  it('shows the wait for a person as the approval wait child span of an approved call', async () => {
    const held = await seed(
      { transport: 'streamable_http', url: upstreamUrl },
      { version: '1', default: 'allow', tools: { lookup: { action: 'require_approval' } } },
    );
    const client = await connectAgent(gateway, held);
    const db = testDb();
    try {
      const call = client.callTool({ name: 'lookup', arguments: { query: MARKER } });
      const approval = await waitFor(
        async () => (await db.approval.findFirst({ where: { grantId: held.grantId } })) ?? undefined,
      );
      await db.approval.update({
        where: { id: approval.id },
        data: {
          status: 'approved',
          decidedAt: new Date(),
          decidedByLabel: 'test',
          expiresAt: new Date(Date.now() + 15 * 60_000),
        },
      });
      await notifyChange(db, {
        type: 'approval',
        organizationId: held.organizationId,
        approvalId: approval.id,
      });
      expect((await call).isError).toBeFalsy();
      expect(await childrenOfCall(held.serverId)).toContain('approval wait');
      expect(exported.join('')).not.toContain(MARKER);
    } finally {
      await client.close();
    }
  });
});
