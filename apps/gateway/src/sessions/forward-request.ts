// Sends an agent's request to the upstream and carries back its answer unchanged: the same result,
// or the same JSON-RPC error code, message and data. Progress follows the request (the upstream sees
// a token of the connection's, the agent gets its own back); the agent's cancellation reaches the
// upstream as notifications/cancelled with the request's upstream id.
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import {
  UpstreamCallError,
  type Params,
  type UpstreamConnection,
} from '@portcullis/upstream/upstream-connection';
import type { AgentExtra } from '../agent-request.ts';
import { UpstreamFailure } from '../errors.ts';
import type { UpstreamBearer } from './upstream-auth.ts';

/** Turns how a request to the upstream ended into the error the agent should see (and the audit log records). */
export function toUpstreamFailure(error: unknown, method: string, timeoutMs: number): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  if (!(error instanceof UpstreamCallError)) {
    // Transport errors can carry the body of whatever answered: only our own words reach the agent.
    const failure = new UpstreamFailure(
      'error',
      ErrorCode.InternalError,
      `Upstream server failed on ${method}: ${describeUpstreamError(error)}`,
    );
    failure.sent = false;
    return failure;
  }
  let failure: UpstreamFailure;
  switch (error.kind) {
    case 'rpc':
      failure = new UpstreamFailure(
        'error',
        error.code ?? ErrorCode.InternalError,
        error.message,
        error.data,
      );
      break;
    case 'timeout':
      failure = new UpstreamFailure(
        'timeout',
        ErrorCode.RequestTimeout,
        `Upstream server did not answer ${method} within ${timeoutMs} ms`,
      );
      break;
    case 'cancelled':
      failure = new UpstreamFailure('cancelled', ErrorCode.RequestTimeout, `The client cancelled ${method}`);
      break;
    case 'closed':
      failure = new UpstreamFailure(
        'crash',
        ErrorCode.InternalError,
        `Upstream server closed the connection during ${method} (it may have crashed); retry the call`,
      );
      break;
    case 'transport':
      failure = new UpstreamFailure(
        'error',
        ErrorCode.InternalError,
        `Upstream server failed on ${method}: ${error.message}`,
      );
      break;
  }
  failure.sent = error.sent;
  return failure;
}

/** The upstream answered HTTP 401: it refused the connected account's token (the request did not run). */
export function unauthorized(error: unknown): boolean {
  const cause =
    error instanceof UpstreamCallError ? (error.kind === 'transport' ? error.cause : undefined) : error;
  return cause instanceof StreamableHTTPError && cause.code === 401;
}

/**
 * Forwards one request; throws UpstreamFailure, or NeedsConnectionError when the server is behind
 * sign-in and no usable account is left. With a bearer, a stale token is refreshed first, and an
 * upstream's 401 (the token refused: the request did not run) refreshes it and sends the request
 * once more.
 */
export async function forwardRequest(
  connection: UpstreamConnection,
  method: string,
  params: Params,
  extra: AgentExtra,
  timeoutMs: number,
  bearer?: UpstreamBearer,
): Promise<Params> {
  if (bearer?.stale()) await bearer.refresh();
  // The token this request goes out with: a 401 says that one was refused (not a newer one).
  const sentWith = bearer?.current;
  try {
    return await send(connection, method, params, extra, timeoutMs);
  } catch (error) {
    if (!bearer || !unauthorized(error)) throw toUpstreamFailure(error, method, timeoutMs);
    await bearer.refresh(sentWith);
  }
  try {
    return await send(connection, method, params, extra, timeoutMs);
  } catch (error) {
    throw toUpstreamFailure(error, method, timeoutMs);
  }
}

function send(
  connection: UpstreamConnection,
  method: string,
  params: Params,
  extra: AgentExtra,
  timeoutMs: number,
): Promise<Params> {
  const progressToken = extra._meta?.progressToken;
  return connection.request(method, params, {
    timeoutMs,
    signal: extra.signal,
    ...(progressToken === undefined
      ? {}
      : // Sent at once, so it reaches the agent before the response that follows it upstream.
        {
          onProgress: (progress: Params) =>
            void extra.sendNotification({
              method: 'notifications/progress',
              params: { ...progress, progressToken },
            }),
        }),
  });
}
