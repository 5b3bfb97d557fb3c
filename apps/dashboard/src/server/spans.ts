// The dashboard's own named spans, under the request span Next.js makes: one per REST API request
// (modules/api/handler.ts) and one per server action (tracedAction, applied where each action is
// exported). Only the OpenTelemetry API here: the SDK is started by instrumentation.ts
// (server/tracing.ts), bundled apart from the routes, so the tracer is looked up through the
// global API each time. With no provider registered (tracing off) the API's no-op tracer makes
// non-recording spans and nothing is exported.
import { SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = () => trace.getTracer('portcullis-dashboard');

/** Set on the active span once a request or action knows who it acts for (guard.ts, the API handler). */
export function noteOrganization(organizationId: string): void {
  trace.getActiveSpan()?.setAttribute('portcullis.organization', organizationId);
}

/**
 * One span per REST API request, `GET /api/v1/servers/{serverId}`: the route template, the method
 * and the status (an error status only for 5xx); never the body, the query or the credentials.
 */
export function inApiSpan(method: string, route: string, run: () => Promise<Response>): Promise<Response> {
  return tracer().startActiveSpan(
    `${method} ${route}`,
    { attributes: { 'http.request.method': method, 'http.route': route } },
    async (span) => {
      try {
        const response = await run();
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorName(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * A server action with its span, `action <module>.<name>`: `portcullis.outcome` ok (including a
 * redirect, how most actions end) or error (an `{ ok: false }` result, or a thrown error). Never the
 * arguments or the form, nor an error's message (it may quote what was typed). Every export of a
 * 'use server' file is one (test/server-actions-traced.test.ts).
 */
export function tracedAction<A extends unknown[], R>(
  name: string,
  action: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const spanName = `action ${name}`;
  const traced = (...args: A): Promise<R> =>
    tracer().startActiveSpan(spanName, { attributes: { 'portcullis.action': name } }, async (span) => {
      try {
        const result = await action(...args);
        span.setAttribute('portcullis.outcome', isFailure(result) ? 'error' : 'ok');
        return result;
      } catch (error) {
        const redirected = isRedirect(error);
        span.setAttribute('portcullis.outcome', redirected ? 'ok' : 'error');
        if (!redirected) span.setStatus({ code: SpanStatusCode.ERROR, message: errorName(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  return Object.defineProperty(traced, 'name', { value: action.name });
}

/** An ActionResult that reports a refusal (server/action-result.ts). */
function isFailure(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false;
}

/** Next.js's redirect() throws an error whose digest starts so (next/dist/client/components/redirect-error). */
function isRedirect(error: unknown): boolean {
  const digest = (error as { digest?: unknown } | null)?.digest;
  return typeof digest === 'string' && digest.startsWith('NEXT_REDIRECT;');
}

/** What a failed span may say of its error: its class, or notFound()'s code; never its message. */
function errorName(error: unknown): string {
  const digest = (error as { digest?: unknown } | null)?.digest;
  if (typeof digest === 'string' && digest.startsWith('NEXT_HTTP_ERROR_FALLBACK;')) return digest;
  return error instanceof Error ? error.constructor.name : 'error';
}
