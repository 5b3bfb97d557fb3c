// Requests the upstream sends to an agent over its transport (sampling, elicitation, roots, or
// anything else): each gets an id of this session's, waits for the agent's answer (a person may be
// typing) and is cancelled towards the agent when the upstream gives it up or it times out.
import { ErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import { bindToAbort } from '../abort-bound.ts';
import { JsonRpcError } from '../errors.ts';

/** How long the upstream may wait on the agent for sampling or elicitation (a person may be typing). */
const AGENT_REQUEST_TIMEOUT_MS = 30 * 60_000;

interface OutgoingRequest {
  resolve(result: Params): void;
  reject(error: JsonRpcError): void;
  timer: NodeJS.Timeout;
}

export interface AgentResponse {
  id?: RequestId;
  result?: Params;
  error?: { code: number; message: string; data?: unknown };
}

export class AgentRequests {
  /** Requests sent to the agent on the upstream's behalf, by the id this session gave them. */
  private readonly outgoing = new Map<number, OutgoingRequest>();
  private nextOutgoingId = 0;

  constructor(
    /** Sends a message to the agent, on the stream of the agent request it relates to. */
    private readonly send: (message: JSONRPCMessage, relatedRequestId?: RequestId) => void,
  ) {}

  /** Sends the request; settles with the agent's answer (or its error, as a JsonRpcError). */
  request(
    method: string,
    params: Params | undefined,
    signal: AbortSignal,
    related: RequestId | undefined,
  ): Promise<Params> {
    const id = this.nextOutgoingId++;
    return new Promise<Params>((resolve, reject) => {
      const cancel = (reason: string) =>
        this.send(
          { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } },
          related,
        );
      const pending = bindToAbort<Params, JsonRpcError>(
        signal,
        () => {
          if (!this.outgoing.delete(id)) return;
          clearTimeout(timer);
          cancel('The server cancelled the request');
          reject(new JsonRpcError(ErrorCode.RequestTimeout, 'The server cancelled the request'));
        },
        { resolve, reject },
      );
      const timer = setTimeout(() => {
        if (!this.outgoing.delete(id)) return;
        pending.detach();
        cancel('timed out');
        reject(new JsonRpcError(ErrorCode.RequestTimeout, `The client did not answer ${method} in time`));
      }, AGENT_REQUEST_TIMEOUT_MS);
      this.outgoing.set(id, { resolve: pending.resolve, reject: pending.reject, timer });
      this.send(
        { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) } as JSONRPCMessage,
        related,
      );
    });
  }

  /** The agent answered one of them (an answer to no pending request is dropped). */
  settle(m: AgentResponse): void {
    const pending = typeof m.id === 'number' ? this.outgoing.get(m.id) : undefined;
    if (!pending) return;
    this.outgoing.delete(m.id as number);
    clearTimeout(pending.timer);
    if (m.error) pending.reject(new JsonRpcError(m.error.code, m.error.message, m.error.data));
    else pending.resolve(m.result ?? {});
  }

  /** The session closed: every pending request fails. */
  rejectAll(): void {
    for (const [id, pending] of this.outgoing) {
      clearTimeout(pending.timer);
      pending.reject(new JsonRpcError(ErrorCode.InternalError, 'The client session closed'));
      this.outgoing.delete(id);
    }
  }
}
