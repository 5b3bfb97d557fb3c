// Sends an agent's request to the upstream and carries back its answer unchanged: the same result,
// or the same JSON-RPC error code, message and data. Progress and cancellation follow the request.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, ResultSchema, type Request, type Result } from '@modelcontextprotocol/sdk/types.js';
import type { AgentExtra } from '../agent-request.ts';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import { UpstreamFailure } from '../errors.ts';


/**
 * Whether a request reached the upstream's transport. The SDK reports a cancelled request as a
 * timeout and hides whether it was sent, so each upstream transport's send is wrapped
 * (trackRequestWrites) and the request being made claims the one send it triggers: Protocol.request
 * calls transport.send synchronously, so the claim cannot be taken by another request.
 */
type WriteState = 'not_sent' | 'writing' | 'written' | 'failed';
interface WriteClaim {
  state: WriteState;
}

const trackedClients = new WeakSet<Client>();
const openClaims = new WeakMap<Client, WriteClaim>();

/** Wraps the client's transport so forwardRequest can tell a failed write from a sent request. */
export function trackRequestWrites(client: Client): void {
  const transport = client.transport;
  if (!transport || trackedClients.has(client)) return;
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const claim = 'method' in message && 'id' in message ? openClaims.get(client) : undefined;
    if (claim) {
      openClaims.delete(client);
      claim.state = 'writing';
    }
    const written = send(message, options);
    // Attached before the SDK's own handler, so the state is set when its rejection reaches us.
    if (claim) written.then(() => (claim.state = 'written'), (error: unknown) => (claim.state = neverLeft(error) ? 'failed' : 'written'));
    return written;
  };
  trackedClients.add(client);
}

/** Connection errors that mean no byte of the request reached the upstream. */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPRIVATE']);

/**
 * Whether a failed send certainly never reached the upstream. An HTTP send fails also after the
 * server took the request (an HTTP 500, a reset connection, a bad answer): that counts as sent.
 */
function neverLeft(error: unknown): boolean {
  const { code, cause, message, name } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown }; message?: unknown; name?: unknown };
  if (name === 'PrivateAddressError') return true;
  if (message === 'Not connected' || message === 'Transport is closed') return true;
  const socketCode = typeof code === 'string' ? code : cause?.code;
  return typeof socketCode === 'string' && NOT_CONNECTED_CODES.has(socketCode);
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
  // Transport errors can carry the body of whatever answered (an SSE upstream's HTTP error): only
  // our own words and codes reach the agent.
  return new UpstreamFailure('error', ErrorCode.InternalError, `Upstream server failed on ${method}: ${describeUpstreamError(error)}`);
}

/** Forwards one request; throws UpstreamFailure. */
export async function forwardRequest(client: Client, request: Request, extra: AgentExtra, timeoutMs: number, resultSchema: typeof ResultSchema = ResultSchema): Promise<Result> {
  const progressToken = extra._meta?.progressToken;
  // Progress must reach the agent before the result: the upstream may send its last progress
  // notification and the response in one chunk, and both are handled in the same tick.
  let progressSent: Promise<unknown> | undefined;
  // Without tracking (a client we did not wrap) every attempt counts as sent: the safe assumption.
  const claim: WriteClaim | undefined = trackedClients.has(client) ? { state: 'not_sent' } : undefined;
  let attempted = false;
  try {
    if (extra.signal.aborted) throw new Error('cancelled before it was sent');
    if (claim) openClaims.set(client, claim);
    attempted = true;
    const pending = client.request(request, resultSchema, {
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
    openClaims.delete(client);
    const result = await pending;
    if (progressSent) await progressSent;
    return result;
  } catch (error) {
    if (claim && openClaims.get(client) === claim) openClaims.delete(client);
    // The SDK turns an agent's cancellation into a RequestTimeout error: the signal says what it was.
    const failure = extra.signal.aborted
      ? new UpstreamFailure('cancelled', ErrorCode.RequestTimeout, `The client cancelled ${request.method}`)
      : toUpstreamFailure(error, request.method, timeoutMs);
    failure.sent = claim ? claim.state === 'writing' || claim.state === 'written' : attempted;
    throw failure;
  }
}
