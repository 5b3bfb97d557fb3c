// What the agent-facing protocol hands a request handler: the request's id, its abort signal, its
// progress token and a way to send notifications. Shared by calls/ and sessions/.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Notification, Request } from '@modelcontextprotocol/sdk/types.js';

export type AgentExtra = RequestHandlerExtra<Request, Notification>;
