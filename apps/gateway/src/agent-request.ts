// What the relay hands a request handler for one agent request: its id, an abort signal (the agent
// cancelled, or its session closed), its _meta (progress token) and a way to send it notifications
// that belong with the request (progress). Shared by calls/ and sessions/.
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

export interface AgentNotification {
  method: string;
  params?: Record<string, unknown>;
}

export interface AgentExtra {
  requestId: RequestId;
  signal: AbortSignal;
  _meta?: { progressToken?: string | number; [key: string]: unknown } | undefined;
  sendNotification(notification: AgentNotification): Promise<void>;
}
