import { z } from 'zod';
import { listTools } from '../../catalog/tools';
import { createServer, getServer, listServers, serverInput, syncServer } from '../../servers/servers';
import { db } from '../../../server/db';
import { defineRoute } from '../handler';

export const listServersRoute = defineRoute(
  {
    method: 'get',
    path: '/servers',
    summary: 'List servers',
    role: 'viewer',
    success: { status: 200, description: 'Servers' },
  },
  async ({ ctx }) => ({ servers: await listServers(db(), ctx) }),
);

export const createServerRoute = defineRoute(
  {
    method: 'post',
    path: '/servers',
    summary: 'Register a server (stdio: one of the operator’s templates; secrets are never returned)',
    role: 'editor',
    body: serverInput,
    success: { status: 201, description: 'Created server' },
  },
  async ({ ctx, body }) => ({ server: await createServer(db(), ctx, body) }),
);

export const getServerRoute = defineRoute(
  {
    method: 'get',
    path: '/servers/{serverId}',
    summary: 'Get a server',
    role: 'viewer',
    success: { status: 200, description: 'Server' },
  },
  async ({ ctx, params }) => ({ server: await getServer(db(), ctx, params.serverId) }),
);

export const syncServerRoute = defineRoute(
  {
    method: 'post',
    path: '/servers/{serverId}/sync',
    summary: 'Sync tools from upstream',
    role: 'editor',
    success: { status: 200, description: 'Sync summary' },
  },
  async ({ ctx, params }) => ({ sync: await syncServer(db(), ctx, params.serverId) }),
);

const toolQuery = z.object({
  q: z.string().max(200).optional(),
  category: z.enum(['read', 'write', 'destructive']).optional(),
  severity: z.enum(['low', 'medium', 'high']).optional(),
  pin: z.enum(['approved', 'changed', 'blocked', 'pending']).optional(),
});

export const listToolsRoute = defineRoute(
  {
    method: 'get',
    path: '/servers/{serverId}/tools',
    summary: 'List tools (catalog)',
    role: 'viewer',
    query: toolQuery,
    success: { status: 200, description: 'Tools' },
  },
  async ({ ctx, params, query }) => ({ tools: await listTools(db(), ctx, params.serverId, query) }),
);
