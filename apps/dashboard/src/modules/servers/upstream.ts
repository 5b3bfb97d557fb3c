// The dashboard's door to upstream MCP servers: the same client (@portcullis/upstream) and the
// same refusals (private addresses, stdio command list) as the gateway.
import { connectUpstream, listAllTools, type UpstreamSpec } from '@portcullis/upstream/connect-upstream';
import type { Transport } from '@portcullis/db/types';
import { env } from '../../env';
import { ValidationError } from '../../server/errors';

export type { UpstreamSpec };

const TIMEOUT_MS = 30_000;

/** Checks at registration what connecting would refuse, so the form can point at the field. */
export function checkUpstreamAllowed(spec: { transport: Transport; url: string | null; command: string | null }): void {
  const e = env();
  if (spec.transport === 'stdio') {
    if (!spec.command) throw new ValidationError('Enter the command to run.', 'command');
    if (!e.stdioCommands.includes('*') && !e.stdioCommands.includes(spec.command)) {
      throw new ValidationError(
        e.stdioCommands.length
          ? `Command "${spec.command}" is not allowed here; allowed: ${e.stdioCommands.join(', ')} (STDIO_COMMANDS).`
          : 'Stdio servers are disabled here; set STDIO_COMMANDS to the commands you allow.',
        'command',
      );
    }
    return;
  }
  let url: URL;
  try {
    url = new URL(spec.url ?? '');
  } catch {
    throw new ValidationError('Enter a full URL, e.g. https://mcp.example.com/mcp.', 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError('The URL must start with https:// or http://.', 'url');
}

export async function fetchUpstreamSnapshot(spec: UpstreamSpec) {
  const e = env();
  const client = await connectUpstream(spec, {
    allowPrivateNetworks: e.ALLOW_PRIVATE_UPSTREAMS,
    stdioCommands: e.stdioCommands,
    timeoutMs: TIMEOUT_MS,
    clientInfo: { name: 'portcullis-dashboard', version: '0.1.0' },
  });
  try {
    const tools = await listAllTools(client, TIMEOUT_MS);
    const info = client.getServerVersion();
    return { serverInfo: info ? { name: info.name, version: info.version } : undefined, tools };
  } finally {
    await client.close().catch(() => undefined);
  }
}
