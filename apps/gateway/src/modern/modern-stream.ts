// The answer to one modern (2026-07-28) request: plain JSON, or — once the upstream sends progress or
// log messages for it and the client accepts it — an SSE stream that carries them and then the
// response, as the revision's Streamable HTTP has it. The HTTP status of an error answer is the spec's:
// -32021 (a capability the request did not declare) is 400, everything else in-band on 200.
import type { ServerResponse } from 'node:http';
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { AgentExtra, AgentNotification } from '../agent-request.ts';
import { LOG_LEVELS, atLeast } from '../sessions/log-level.ts';
import { busyStatus } from '../admission/busy-answer.ts';
import type { ModernRequest } from './modern-era.ts';

export const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;

export class ModernResponse {
  private streaming = false;

  constructor(
    private readonly res: ServerResponse,
    /** `_meta["io.modelcontextprotocol/logLevel"]`: log messages below it are not sent. */
    private readonly logLevel: unknown,
  ) {}

  private get acceptsStream(): boolean {
    const accept = this.res.req?.headers.accept ?? '';
    return accept.includes('text/event-stream');
  }

  /** A notification for this request: on the SSE stream (opened now if need be), or dropped when the client takes JSON only. */
  notify(notification: AgentNotification): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (notification.method === 'notifications/message' && !this.wantsLog(notification.params?.level)) return;
    if (!this.streaming) {
      if (this.res.headersSent || !this.acceptsStream) return;
      this.res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      this.streaming = true;
    }
    this.res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...notification })}\n\n`);
  }

  /** The response: the last event of the stream, or the JSON body. */
  end(message: { id: string | number; result?: unknown; error?: { code: number; data?: unknown } }): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    const text = JSON.stringify({ jsonrpc: '2.0', ...message });
    if (this.streaming) {
      this.res.end(`event: message\ndata: ${text}\n\n`);
      return;
    }
    if (this.res.headersSent) return;
    // A busy answer (admission) is HTTP 429 with Retry-After; a missing capability 400.
    const [status, headers] =
      message.error?.code === MISSING_REQUIRED_CLIENT_CAPABILITY
        ? [400, { 'content-type': 'application/json' }]
        : busyStatus(message.error ? { error: message.error } : { result: message.result });
    this.res.writeHead(status, headers).end(text);
  }

  private wantsLog(level: unknown): boolean {
    if (!LOG_LEVELS.includes(this.logLevel as LoggingLevel)) return true;
    return atLeast(level, this.logLevel as LoggingLevel);
  }
}

/** What the session's dispatch gets for a modern request: its id, signal and _meta, and where its notifications go. */
export function agentExtra(
  request: ModernRequest,
  signal: AbortSignal,
  answer: () => ModernResponse | undefined,
): AgentExtra {
  const meta = request.params._meta as AgentExtra['_meta'];
  return {
    requestId: request.id,
    signal,
    _meta: meta,
    sendNotification: async (notification) => answer()?.notify(notification),
  };
}
