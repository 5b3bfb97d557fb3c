// Agents for load: MCP SDK clients over Streamable HTTP that reconnect when the gateway goes away.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export async function connect(gatewayUrl: string, serverId: string, token: string): Promise<Client> {
  const client = new Client({ name: 'reliability-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp/${serverId}`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

export type CallOutcome = 'ok' | 'refused' | 'error';

export interface AttemptedCall {
  agent: number;
  arguments: Record<string, unknown>;
  outcome: CallOutcome;
  text: string;
  /** When the gateway answered the HTTP request itself with an error status (e.g. 503 before authentication). */
  httpStatus?: number;
  startedAt: number;
  endedAt: number;
}

export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/**
 * Calls `tool` in a loop with fresh arguments until stopped; on a transport failure drops the
 * client and reconnects (the gateway may be restarting). Every attempt is recorded.
 */
export function runAgent(options: {
  agent: number;
  url: () => string;
  serverId: string;
  token: string;
  tool: string;
  args: (seq: number) => Record<string, unknown>;
  stopped: () => boolean;
  calls: AttemptedCall[];
  pauseMs?: number;
}): Promise<void> {
  return (async () => {
    let client: Client | undefined;
    let seq = 0;
    let failures = 0;
    while (!options.stopped()) {
      if (!client) {
        client = await connect(options.url(), options.serverId, options.token).catch(() => undefined);
        if (!client) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
      }
      const args = options.args(seq++);
      const startedAt = Date.now();
      try {
        const result = await client.callTool({ name: options.tool, arguments: args }, undefined, {
          timeout: 20_000,
        });
        const refused = result.isError === true && /^(Denied by policy|Rate limited)/.test(textOf(result));
        options.calls.push({
          agent: options.agent,
          arguments: args,
          outcome: refused ? 'refused' : 'ok',
          text: textOf(result).slice(0, 200),
          startedAt,
          endedAt: Date.now(),
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const httpStatus = typeof code === 'number' && code >= 100 ? code : undefined;
        options.calls.push({
          agent: options.agent,
          arguments: args,
          outcome: 'error',
          text: String(error).slice(0, 300),
          ...(httpStatus ? { httpStatus } : {}),
          startedAt,
          endedAt: Date.now(),
        });
        // Keep the session through errors (a restarted gateway resumes it from the database) unless
        // the gateway says it is gone, or nothing has worked for a while.
        failures += 1;
        if (/Session not found|not initialized/i.test(String(error)) || failures >= 20) {
          await client.close().catch(() => undefined);
          client = undefined;
          failures = 0;
        }
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      failures = 0;
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
    await client?.close().catch(() => undefined);
  })();
}
