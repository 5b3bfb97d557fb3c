// The benchmark's upstream over stdio (plain JavaScript, so proxies can start it from any directory).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const mcp = new McpServer({ name: 'trivial', version: '1.0.0' });
mcp.registerTool(
  'echo',
  {
    description: 'Returns its text.',
    inputSchema: { text: z.string() },
    annotations: { readOnlyHint: true },
  },
  async ({ text }) => ({
    content: [{ type: 'text', text }],
  }),
);
await mcp.connect(new StdioServerTransport());
