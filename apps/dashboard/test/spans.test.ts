// The dashboard's named spans (server/spans.ts) on an in-memory exporter: an action's outcome for
// each way an action ends (a result, a refusal, a redirect, notFound(), a thrown error), the
// organization it acted in, and a REST request's status; never an argument or an error's message.
// Off (no provider registered), the wrappers only run what they wrap.
import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import { notFound, redirect } from 'next/navigation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inApiSpan, noteOrganization, tracedAction } from '../src/server/spans.ts';

const TYPED = 'value-typed-into-the-form';

describe('named spans, tracing off', () => {
  it('runs the action and the request as they are', async () => {
    const action = tracedAction('m.echo', async (value: string) => ({ ok: true as const, data: value }));
    expect(await action(TYPED)).toEqual({ ok: true, data: TYPED });
    const response = await inApiSpan('GET', '/api/v1/x', async () => new Response('hi', { status: 201 }));
    expect(response.status).toBe(201);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});

describe('named spans, tracing on', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const only = (): ReadableSpan => {
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(JSON.stringify(spans.map((s) => [s.name, s.attributes, s.status, s.events]))).not.toContain(TYPED);
    return spans[0]!;
  };

  beforeAll(() => provider.register());
  beforeEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('names an action `action <module>.<name>`, with the organization and outcome ok', async () => {
    const action = tracedAction('servers.syncTools', async function syncToolsAction(_form: string) {
      noteOrganization('org_1');
      return { ok: true as const, data: undefined };
    });
    expect(action.name).toBe('syncToolsAction');
    await action(TYPED);
    const span = only();
    expect(span.name).toBe('action servers.syncTools');
    expect(span.attributes).toEqual({
      'portcullis.action': 'servers.syncTools',
      'portcullis.organization': 'org_1',
      'portcullis.outcome': 'ok',
    });
    expect(span.status.code).toBe(0);
  });

  it('reports a refusal ({ ok: false }) as outcome error, without its message', async () => {
    const action = tracedAction('m.refuse', async () => ({ ok: false as const, error: `bad: ${TYPED}` }));
    expect(await action()).toEqual({ ok: false, error: `bad: ${TYPED}` });
    expect(only().attributes['portcullis.outcome']).toBe('error');
  });

  it('reports a redirect as outcome ok and lets it through', async () => {
    const action = tracedAction('m.go', async () => redirect(`/somewhere/${TYPED}`));
    await expect(action()).rejects.toMatchObject({ digest: expect.stringMatching(/^NEXT_REDIRECT;/) });
    const span = only();
    expect(span.attributes['portcullis.outcome']).toBe('ok');
    expect(span.status.code).toBe(0);
  });

  it('reports notFound() and a thrown error as outcome error, naming the error but not its message', async () => {
    await expect(tracedAction('m.missing', async () => notFound())()).rejects.toBeDefined();
    let span = only();
    expect(span.attributes['portcullis.outcome']).toBe('error');
    expect(span.status).toEqual({ code: 2, message: 'NEXT_HTTP_ERROR_FALLBACK;404' });

    exporter.reset();
    class ValidationError extends Error {}
    const failing = tracedAction('m.fail', async () => {
      throw new ValidationError(`name: ${TYPED} is taken`);
    });
    await expect(failing()).rejects.toThrow(TYPED);
    span = only();
    expect(span.attributes['portcullis.outcome']).toBe('error');
    expect(span.status).toEqual({ code: 2, message: 'ValidationError' });
  });

  it('names a REST request by method and route template, with its status; 5xx is an error', async () => {
    await inApiSpan('POST', '/api/v1/servers/{serverId}/sync', async () => {
      noteOrganization('org_2');
      return Response.json({ typed: TYPED }, { status: 200 });
    });
    let span = only();
    expect(span.name).toBe('POST /api/v1/servers/{serverId}/sync');
    expect(span.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/api/v1/servers/{serverId}/sync',
      'http.response.status_code': 200,
      'portcullis.organization': 'org_2',
    });
    expect(span.status.code).toBe(0);

    exporter.reset();
    await inApiSpan('GET', '/api/v1/servers', async () => new Response(null, { status: 500 }));
    span = only();
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.status.code).toBe(2);
  });

  it('is a child of the span active when it starts (Next.js’s request span)', async () => {
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('POST /o/[org]/servers', async (request) => {
      await tracedAction('m.child', async () => undefined)();
      request.end();
    });
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'POST /o/[org]/servers')!;
    const action = spans.find((s) => s.name === 'action m.child')!;
    expect(action.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(action.spanContext().traceId).toBe(request.spanContext().traceId);
  });
});
