// Sends an agent's request to the upstream and carries back its answer unchanged: the same result,
// or the same JSON-RPC error code, message and data. Progress and cancellation follow the request.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError, ResultSchema, type Notification, type Request, type Result } from '@modelcontextprotocol/sdk/types.js';

export type AgentExtra = RequestHandlerExtra<Request, Notification>;

/** A JSON-RPC error to send to the agent exactly as given (the SDK passes code, message and data through). */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export type UpstreamFailureKind = 'timeout' | 'crash' | 'error' | 'invalid';

export class UpstreamFailure extends JsonRpcError {
  constructor(
    readonly kind: UpstreamFailureKind,
    code: number,
    message: string,
    data?: unknown,
  ) {
    super(code, message, data);
  }
}

const MCP_PREFIX = /^MCP error -?\d+: /;

/** Turns what the SDK client threw into the error the agent should see. */
export function toUpstreamFailure(error: unknown, method: string, timeoutMs: number): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  if (error instanceof McpError) {
    const message = error.message.replace(MCP_PREFIX, '');
    if (error.code === ErrorCode.RequestTimeout) {
      return new UpstreamFailure('timeout', ErrorCode.RequestTimeout, `Upstream server did not answer ${method} within ${timeoutMs} ms`);
    }
    if (error.code === ErrorCode.ConnectionClosed) {
      return new UpstreamFailure('crash', ErrorCode.InternalError, `Upstream server closed the connection during ${method} (it may have crashed); retry the call`);
    }
    return new UpstreamFailure('error', error.code, message, error.data);
  }
  if (error && typeof error === 'object' && Array.isArray((error as { issues?: unknown }).issues)) {
    return new UpstreamFailure('invalid', ErrorCode.InternalError, `Upstream server sent an invalid ${method} result`);
  }
  const text = error instanceof Error ? error.message : String(error);
  return new UpstreamFailure('error', ErrorCode.InternalError, `Upstream server failed on ${method}: ${text.slice(0, 300)}`);
}

/** Forwards one request; throws UpstreamFailure. */
export async function forwardRequest(client: Client, request: Request, extra: AgentExtra, timeoutMs: number, resultSchema: typeof ResultSchema = ResultSchema): Promise<Result> {
  const progressToken = extra._meta?.progressToken;
  // Progress must reach the agent before the result: the upstream may send its last progress
  // notification and the response in one chunk, and both are handled in the same tick.
  let progressSent: Promise<unknown> | undefined;
  try {
    const result = await client.request(request, resultSchema, {
      signal: extra.signal,
      timeout: timeoutMs,
      resetTimeoutOnProgress: true,
      ...(progressToken === undefined
        ? {}
        : {
            onprogress: (progress) => {
              progressSent = extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => undefined);
            },
          }),
    });
    if (progressSent) await progressSent;
    return result;
  } catch (error) {
    throw toUpstreamFailure(error, request.method, timeoutMs);
  }
}
