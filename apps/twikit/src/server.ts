// One MCP Server (low-level API, so the advertised input schemas are the catalog's JSON verbatim)
// over a shared Account. Create one per connection/session.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Account } from './account.ts';
import { alwaysLoggedIn, type AuthCheck } from './auth.ts';
import type { CallLog } from './call-log.ts';
import { CATALOG_TOOLS, findCatalogTool } from './catalog.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_HANDLERS } from './tools/index.ts';
import { validateArguments } from './validate.ts';

/** What the real server (FastMCP("twitter")) reports as its name. */
export const SERVER_INFO = { name: 'twitter', version: '0.1.45' } as const;

export interface TwikitServerOptions {
  account: Account;
  log?: CallLog;
  auth?: AuthCheck;
  /** Where unexpected handler failures are reported (never stdout). */
  onInternalError?: (tool: string, error: unknown) => void;
}

const missing = CATALOG_TOOLS.map((t) => t.name).filter((name) => !TOOL_HANDLERS[name]);
if (missing.length > 0) throw new Error(`twikit: no handler for catalog tools: ${missing.join(', ')}`);

const text = (value: string, isError: boolean): CallToolResult => ({
  content: [{ type: 'text', text: value }],
  ...(isError ? { isError: true } : {}),
});

/** Runs one tools/call against the account. Never throws: failures become isError results. */
export function callTool(
  options: TwikitServerOptions,
  name: string,
  rawArgs: Record<string, unknown> | undefined,
): CallToolResult {
  const { account, auth = alwaysLoggedIn } = options;
  const tool = findCatalogTool(name);
  const handler = TOOL_HANDLERS[name];
  if (!tool || !handler) return text(`Unknown tool: ${name}`, true);

  const checked = validateArguments(name, tool.inputSchema, rawArgs);
  if (!checked.ok) return text(checked.message, true);

  const status = auth();
  if (!status.ok) return text(status.message, true);

  try {
    return text(JSON.stringify(handler(account, checked.value) ?? null), false);
  } catch (error) {
    if (error instanceof ToolError) return text(error.message, true);
    options.onInternalError?.(name, error);
    return text(
      `Error executing tool ${name}: ${error instanceof Error ? error.message : String(error)}`,
      true,
    );
  }
}

export function createTwikitServer(options: TwikitServerOptions): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: false },
      // FastMCP always declares these too (with nothing in them).
      prompts: { listChanged: false },
      resources: { subscribe: false, listChanged: false },
    },
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: CATALOG_TOOLS.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, (request) => {
    const { name, arguments: args } = request.params;
    const result = callTool(options, name, args);
    options.log?.record(name, args ?? {}, result.isError !== true);
    return result;
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [] }));
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [] }));

  return server;
}
