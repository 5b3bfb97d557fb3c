import { z } from 'zod';
import { listTools } from '../../catalog/tools';
import { createServer, getServer, listServers, serverInput, syncServer } from '../../servers/servers';
import { db } from '../../../server/db';
import { apiRoute, readJson, readQuery } from '../handler';

export const listServersRoute = apiRoute('viewer', async ({ ctx }) => ({ servers: await listServers(db(), ctx) }));

export const createServerRoute = apiRoute('editor', async ({ ctx, request }) => {
  const input = await readJson(request, serverInput);
  return Response.json({ server: await createServer(db(), ctx, input) }, { status: 201 });
});

export const getServerRoute = apiRoute<{ serverId: string }>('viewer', async ({ ctx, params }) => ({ server: await getServer(db(), ctx, params.serverId) }));

export const syncServerRoute = apiRoute<{ serverId: string }>('editor', async ({ ctx, params }) => ({ sync: await syncServer(db(), ctx, params.serverId) }));

const toolQuery = z.object({
  q: z.string().max(200).optional(),
  category: z.enum(['read', 'write', 'destructive']).optional(),
  severity: z.enum(['low', 'medium', 'high']).optional(),
  pin: z.enum(['approved', 'changed', 'blocked', 'pending']).optional(),
});

export const listToolsRoute = apiRoute<{ serverId: string }>('viewer', async ({ ctx, params, request }) => {
  const query = readQuery(request, toolQuery);
  return { tools: await listTools(db(), ctx, params.serverId, query) };
});
