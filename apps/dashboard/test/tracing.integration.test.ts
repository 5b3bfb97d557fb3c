// OpenTelemetry in the dashboard (issue #29): the SDK as instrumentation.ts starts it, exporting
// over OTLP/HTTP to a receiver in this test. A REST request (the route handler as Next.js calls it)
// and a server action (the exported action, as Next.js calls it for a form post) each give one
// named span under the request span that Next.js would have open (started here in its place), with
// the route or action, the organization, the status or outcome; never a body, a form value or the
// API key.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { attributesOf, startOtlpReceiver, type OtlpSpan } from './otlp-receiver.ts';

// The exporter reads the standard variables; set before the dashboard's env is first read.
const receiver = await startOtlpReceiver();
process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = receiver.endpoint;
process.env.OTEL_BSP_SCHEDULE_DELAY = '50';

// Server actions read the session from Auth.js, which needs a Next.js request; here it is the
// signed-in owner the test sets.
const session = vi.hoisted(() => ({ userId: '' }));
vi.mock('../src/auth.ts', () => ({ auth: async () => ({ user: { id: session.userId } }) }));

const { captureLoggedMail, db, newOwner, resetDatabase, seedServer } = await import('./helpers.ts');
const { createApiKey } = await import('../src/modules/api-keys/api-keys.ts');
const { flushDashboardTracing, startDashboardTracing, stopDashboardTracing } =
  await import('../src/server/tracing.ts');
const serversRoute = await import('../src/app/api/v1/servers/route.ts');
const serverRoute = await import('../src/app/api/v1/servers/[serverId]/route.ts');
const { replayPolicyAction } = await import('../src/modules/policies/actions.ts');

const MARKER = 'form-value-that-must-not-be-traced';

/** Runs `run` under a server span, as Next.js runs a route handler or an action under its request's. */
function underRequestSpan<T>(name: string, run: () => Promise<T>): Promise<{ result: T; spanId: string }> {
  const span = trace.getTracer('next.js').startSpan(name, { kind: SpanKind.SERVER });
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      return { result: await run(), spanId: span.spanContext().spanId };
    } finally {
      span.end();
    }
  });
}

async function exportedSpan(match: (s: OtlpSpan) => boolean): Promise<OtlpSpan> {
  for (let i = 0; i < 100; i++) {
    await flushDashboardTracing();
    const found = receiver.spans().find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the span was not exported');
}

describe('OpenTelemetry traces of the dashboard', () => {
  let owner: Awaited<ReturnType<typeof newOwner>>;
  let serverId: string;
  let apiKey: string;
  const mail = captureLoggedMail();

  beforeAll(async () => {
    expect(startDashboardTracing()).toBe(true);
    await resetDatabase();
    owner = await newOwner('Traced');
    session.userId = owner.userId;
    serverId = (await seedServer(owner.ctx.organizationId)).id;
    apiKey = (await createApiKey(db, owner.ctx, { name: 'tracing', role: 'admin' })).token;
  });

  afterAll(async () => {
    await stopDashboardTracing();
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete process.env.OTEL_BSP_SCHEDULE_DELAY;
    await receiver.close();
    mail.restore();
  });

  it('exports one span per REST request, named by its route template, under the request span', async () => {
    const { result: created, spanId: parent } = await underRequestSpan('POST /api/v1/servers', () =>
      serversRoute.POST(
        new Request('http://dashboard.test/api/v1/servers', {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: MARKER, transport: 'streamable_http', url: 'https://x.example/mcp' }),
        }),
        { params: Promise.resolve({}) },
      ),
    );
    expect(created.status).toBe(201);
    const span = await exportedSpan((s) => s.parentSpanId === parent);
    expect(span.name).toBe('POST /api/v1/servers');
    expect(attributesOf(span)).toEqual({
      'http.request.method': 'POST',
      'http.route': '/api/v1/servers',
      'http.response.status_code': 201,
      'portcullis.organization': owner.ctx.organizationId,
    });

    // A route with a parameter is named by its template; the id is not in the name.
    const { spanId: parent2 } = await underRequestSpan('GET /api/v1/servers/[serverId]', () =>
      serverRoute.GET(
        new Request(`http://dashboard.test/api/v1/servers/${serverId}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        }),
        { params: Promise.resolve({ serverId }) },
      ),
    );
    const get = await exportedSpan((s) => s.parentSpanId === parent2);
    expect(get.name).toBe('GET /api/v1/servers/{serverId}');
    expect(attributesOf(get)).toMatchObject({ 'http.response.status_code': 200 });

    // Refused before it knows an organization: the status, and no organization.
    const { spanId: parent3 } = await underRequestSpan('GET /api/v1/servers', () =>
      serversRoute.GET(
        new Request('http://dashboard.test/api/v1/servers', {
          headers: { authorization: `Bearer pck_${MARKER}` },
        }),
        { params: Promise.resolve({}) },
      ),
    );
    const refused = await exportedSpan((s) => s.parentSpanId === parent3);
    expect(refused.name).toBe('GET /api/v1/servers');
    expect(attributesOf(refused)).toEqual({
      'http.request.method': 'GET',
      'http.route': '/api/v1/servers',
      'http.response.status_code': 401,
    });

    const everything = receiver.bodies().join('');
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain(apiKey);
  });

  it('exports one span per server action, `action <module>.<name>`, with organization and outcome', async () => {
    const form = new FormData();
    form.set('orgSlug', owner.orgSlug);
    form.set('serverId', serverId);
    form.set('document', JSON.stringify({ version: '1', default: 'allow', tools: { [MARKER]: {} } }));
    const { result, spanId: parent } = await underRequestSpan('POST /o/[orgSlug]/servers/[serverId]', () =>
      replayPolicyAction(null, form),
    );
    expect(result).toMatchObject({ ok: true, data: { replayed: 0 } });
    const span = await exportedSpan((s) => s.parentSpanId === parent);
    expect(span.name).toBe('action policies.replayPolicy');
    expect(span.traceId).toBe(
      receiver.spans().find((s) => s.spanId === parent)?.traceId ?? '(request span not exported)',
    );
    expect(attributesOf(span)).toEqual({
      'portcullis.action': 'policies.replayPolicy',
      'portcullis.organization': owner.ctx.organizationId,
      'portcullis.outcome': 'ok',
    });

    // A refused form (the draft is not JSON): outcome error, and its message, which quotes the
    // draft, is not in the span.
    form.set('document', `{"tools": ${MARKER}`);
    const { result: refused, spanId: parent2 } = await underRequestSpan('POST /o/[orgSlug]/servers', () =>
      replayPolicyAction(null, form),
    );
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    const failed = await exportedSpan((s) => s.parentSpanId === parent2);
    expect(failed.name).toBe('action policies.replayPolicy');
    expect(attributesOf(failed)).toMatchObject({
      'portcullis.organization': owner.ctx.organizationId,
      'portcullis.outcome': 'error',
    });

    expect(receiver.bodies().join('')).not.toContain(MARKER);
  });
});
