import { db } from '../../../server/db';
import {
  createToolset,
  deleteToolset,
  effectiveTools,
  getToolset,
  listToolsets,
  toolsetInput,
  toolsetPatch,
  updateToolset,
} from '../../toolsets/toolsets';
import { simulateToolsetCall, toolsetCallInput } from '../../toolsets/simulate-toolset';
import { defineRoute } from '../handler';

export const listToolsetsRoute = defineRoute(
  {
    method: 'get',
    path: '/toolsets',
    summary: 'List toolsets',
    role: 'viewer',
    success: { status: 200, description: 'Toolsets' },
  },
  async ({ ctx }) => ({ toolsets: await listToolsets(db(), ctx) }),
);

export const createToolsetRoute = defineRoute(
  {
    method: 'post',
    path: '/toolsets',
    summary:
      'Create a toolset: servers behind one grant URL, each with a prefix and optionally a subset of its tools',
    role: 'editor',
    body: toolsetInput,
    success: { status: 201, description: 'Created toolset' },
  },
  async ({ ctx, body }) => ({ toolset: await createToolset(db(), ctx, body) }),
);

export const getToolsetRoute = defineRoute(
  {
    method: 'get',
    path: '/toolsets/{toolsetId}',
    summary: 'Get a toolset, with each member tool as agents see it and its effective decision',
    role: 'viewer',
    success: { status: 200, description: 'Toolset and its tools' },
  },
  async ({ ctx, params }) => ({
    toolset: await getToolset(db(), ctx, params.toolsetId),
    tools: await effectiveTools(db(), ctx, params.toolsetId),
  }),
);

export const putToolsetRoute = defineRoute(
  {
    method: 'put',
    path: '/toolsets/{toolsetId}',
    summary: 'Replace a toolset (name, description and all members)',
    role: 'editor',
    body: toolsetInput,
    success: { status: 200, description: 'Saved toolset' },
  },
  async ({ ctx, params, body }) => ({ toolset: await updateToolset(db(), ctx, params.toolsetId, body) }),
);

export const patchToolsetRoute = defineRoute(
  {
    method: 'patch',
    path: '/toolsets/{toolsetId}',
    summary: 'Update a toolset: fields left out stay; members, when given, replace all members',
    role: 'editor',
    body: toolsetPatch,
    success: { status: 200, description: 'Saved toolset' },
  },
  async ({ ctx, params, body }) => ({ toolset: await updateToolset(db(), ctx, params.toolsetId, body) }),
);

export const deleteToolsetRoute = defineRoute(
  {
    method: 'delete',
    path: '/toolsets/{toolsetId}',
    summary: 'Delete a toolset and revoke its grants',
    role: 'editor',
    success: { status: 200, description: 'How many grants were revoked' },
  },
  async ({ ctx, params }) => ({ deleted: true, ...(await deleteToolset(db(), ctx, params.toolsetId)) }),
);

export const simulateToolsetCallRoute = defineRoute(
  {
    method: 'post',
    path: '/toolsets/{toolsetId}/simulate',
    summary:
      'Simulate a tools/call through a toolset: the member server and upstream tool the name routes to, and the decision the gateway would make with the given arguments (nothing is forwarded, no rate limit is used up)',
    role: 'viewer',
    body: toolsetCallInput,
    success: {
      status: 200,
      description: 'Member server, upstream tool (null when none answers) and decision',
    },
  },
  async ({ ctx, params, body }) => ({
    simulation: await simulateToolsetCall(db(), ctx, params.toolsetId, body.name, body.arguments),
  }),
);
