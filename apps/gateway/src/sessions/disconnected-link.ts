// A session of a server behind sign-in whose acting person (or organization) has no usable account
// yet: no upstream connection, the server as last synced, tools listed from the catalog. Every
// call reconnects first (upstream() in gateway-session.ts), so once the account is connected the
// next call goes out; until then it is answered with where to connect (needs_connection).
import type { ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { visibleTools } from '@portcullis/policy/decide';
import type { GatewayServices } from '../services.ts';
import type { ServerState } from '../state/server-state.ts';
import type { UpstreamLink } from './upstream-pool.ts';

export function disconnectedLink(state: ServerState): UpstreamLink {
  return {
    get connection(): never {
      throw new Error('no upstream connection: the account is not connected');
    },
    server: {
      protocolVersion: '',
      capabilities: { tools: {} },
      serverInfo: { name: state.server.name, version: '' },
      instructions: undefined,
    },
    shared: false,
    alive: false,
    subscribedElsewhere: () => false,
    release: async () => undefined,
  };
}

/** tools/list from the catalog: approved tools as last synced, minus what this grant may not call. */
export async function catalogListing(
  services: GatewayServices,
  state: ServerState,
): Promise<ListToolsResult> {
  const rows = await services.db.tool.findMany({
    where: { serverId: state.server.id, present: true, pinState: 'approved' },
    select: {
      name: true,
      title: true,
      description: true,
      inputSchema: true,
      outputSchema: true,
      annotations: true,
    },
    orderBy: { name: 'asc' },
  });
  const tools: Tool[] = rows.map((row) => ({
    name: row.name,
    ...(row.title ? { title: row.title } : {}),
    ...(row.description ? { description: row.description } : {}),
    inputSchema: row.inputSchema as Tool['inputSchema'],
    ...(row.outputSchema ? { outputSchema: row.outputSchema as Tool['outputSchema'] } : {}),
    ...(row.annotations ? { annotations: row.annotations as Tool['annotations'] } : {}),
  }));
  return { tools: visibleTools(state.policy, tools, (name) => state.tools.get(name)) };
}
