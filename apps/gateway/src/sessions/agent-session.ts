// What the registries (session-registry.ts, modern/session-pool.ts) hold for one agent: a server
// grant's GatewaySession or a toolset grant's ToolsetSession (docs/toolsets.md), opened by the
// grant's target.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { JsonRpcError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { GrantContext } from '../state/grant-cache.ts';
import { GatewaySession, type OpenSessionOptions, type SessionHooks } from './gateway-session.ts';
import { ToolsetSession } from './toolset-session.ts';

export type AgentSession = GatewaySession | ToolsetSession;

export function openAgentSession(
  services: GatewayServices,
  hooks: SessionHooks,
  options: Omit<OpenSessionOptions, 'grant'> & { grant: GrantContext },
): Promise<AgentSession> {
  const { grant } = options;
  if (grant.toolsetId !== null)
    return ToolsetSession.open(services, hooks, {
      ...options,
      grant: { ...grant, toolsetId: grant.toolsetId },
    });
  if (grant.serverId === null)
    return Promise.reject(new JsonRpcError(ErrorCode.InvalidRequest, 'This grant has no server'));
  return GatewaySession.open(services, hooks, { ...options, grant: { ...grant, serverId: grant.serverId } });
}
