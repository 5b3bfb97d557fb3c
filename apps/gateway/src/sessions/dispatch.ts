// Which method goes where, for one agent request (legacy sessions and modern requests alike): the
// gateway answers initialize and ping itself; tools/call goes to calls/handle-tool-call.ts; tools/list
// is filtered by the catalog; resources, prompts, completions and unknown methods go through
// calls/handle-feature-request.ts; a method whose capability the upstream did not announce is not
// found. Every request's parameters are checked (request-params.ts) before anything else reads them.
import type { CallToolRequest, LoggingLevel, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import type { AgentExtra } from '../agent-request.ts';
import {
  completionFeature,
  handleFeatureRequest,
  listFeature,
  type FeatureSession,
} from '../calls/handle-feature-request.ts';
import { handleToolCall, type ToolCallSession } from '../calls/handle-tool-call.ts';
import { JsonRpcError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import { checkParams, checkRequest } from './request-params.ts';

type ResultBody = Record<string, unknown>;

/** What dispatch needs of the session a request arrived on. */
export interface DispatchTarget {
  readonly services: GatewayServices;
  /** What the gateway announced for this upstream (a method of a capability not announced is not found). */
  readonly capabilities: ServerCapabilities;
  readonly toolSession: ToolCallSession;
  readonly featureSession: FeatureSession;
  /** Whether the upstream is a shared (stdio) process serving other sessions too. */
  readonly shared: boolean;
  initialize(params: Params): ResultBody;
  listTools(params: Params, extra: AgentExtra): Promise<ResultBody>;
  forward(method: string, params: Params, extra: AgentExtra): Promise<ResultBody>;
  /** A resources/subscribe went through (true) or a resources/unsubscribe came (false). */
  subscribed(uri: string, on: boolean): void;
  /** Whether another session of the same shared (stdio) process still subscribes to this URI. */
  subscribedElsewhere(uri: string): boolean;
  setLogLevel(level: LoggingLevel): void;
}

export function dispatch(
  session: DispatchTarget,
  method: string,
  params: Params,
  extra: AgentExtra,
): Promise<ResultBody> {
  checkRequest(method);
  const caps = session.capabilities;
  const notOffered = () => Promise.reject(new JsonRpcError(ErrorCode.MethodNotFound, 'Method not found'));
  switch (method) {
    case 'initialize':
      return Promise.resolve(session.initialize(params));
    case 'ping':
      return Promise.resolve({});
    case 'tools/list':
      if (!caps.tools) return notOffered();
      checkParams(method, params);
      return session.listTools(params, extra);
    case 'tools/call': {
      if (!caps.tools) return notOffered();
      checkParams(method, params);
      return handleToolCall(
        session.services,
        session.toolSession,
        { method, params } as CallToolRequest,
        extra,
      ) as Promise<ResultBody>;
    }
    case 'resources/list':
    case 'resources/templates/list':
      if (!caps.resources) return notOffered();
      checkParams(method, params);
      return listFeature(
        session.services,
        session.featureSession,
        'resources',
        method,
        params,
        extra,
        method === 'resources/list' ? { resources: [] } : { resourceTemplates: [] },
      );
    case 'resources/read':
      if (!caps.resources) return notOffered();
      checkParams(method, params);
      return handleFeatureRequest(
        session.services,
        session.featureSession,
        'resources',
        method,
        params,
        extra,
        params.uri as string,
      );
    case 'resources/subscribe':
      if (!caps.resources?.subscribe) return notOffered();
      checkParams(method, params);
      return handleFeatureRequest(
        session.services,
        session.featureSession,
        'resources',
        method,
        params,
        extra,
        params.uri as string,
      ).then((result) => {
        session.subscribed(params.uri as string, true);
        return result;
      });
    case 'resources/unsubscribe':
      // Ending a subscription is always allowed: it only takes access away.
      if (!caps.resources?.subscribe) return notOffered();
      checkParams(method, params);
      session.subscribed(params.uri as string, false);
      // A shared process holds one subscription per URI for all its sessions: it ends there only
      // when the last of them unsubscribes; until then this session just stops getting the updates.
      if (session.subscribedElsewhere(params.uri as string)) return Promise.resolve({});
      return session.forward(method, params, extra);
    case 'prompts/list':
      if (!caps.prompts) return notOffered();
      checkParams(method, params);
      return listFeature(session.services, session.featureSession, 'prompts', method, params, extra, {
        prompts: [],
      });
    case 'prompts/get':
      if (!caps.prompts) return notOffered();
      checkParams(method, params);
      return handleFeatureRequest(
        session.services,
        session.featureSession,
        'prompts',
        method,
        params,
        extra,
        params.name as string,
      );
    case 'completion/complete': {
      if (!caps.completions) return notOffered();
      checkParams(method, params);
      const ref = params.ref as { type: string; name?: string; uri?: string };
      return handleFeatureRequest(
        session.services,
        session.featureSession,
        completionFeature(params),
        method,
        params,
        extra,
        (ref.type === 'ref/prompt' ? ref.name : ref.uri) ?? '',
      );
    }
    case 'logging/setLevel':
      if (!caps.logging) return notOffered();
      checkParams(method, params);
      session.setLogLevel(params.level as LoggingLevel);
      // A shared (stdio) upstream serves every session of the server: it is asked for everything
      // and each session filters to its own level, so one agent's setting never silences another's.
      return session.forward(method, session.shared ? { level: 'debug' } : params, extra);
    default:
      if (method.startsWith('tasks/'))
        return Promise.reject(
          new JsonRpcError(
            ErrorCode.MethodNotFound,
            `Method not found: ${method} (tasks are not relayed by the gateway)`,
          ),
        );
      // A method the gateway does not know (a vendor's, a newer revision's) passes through as it
      // is when the policy's default allows it, audited like a resource read.
      return handleFeatureRequest(
        session.services,
        session.featureSession,
        'other',
        method,
        params,
        extra,
        method,
      );
  }
}
