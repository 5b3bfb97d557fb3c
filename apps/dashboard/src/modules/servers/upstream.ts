// The dashboard's door to upstream MCP servers: the same client (@portcullis/upstream) and the
// same refusals (private addresses, stdio command list) as the gateway.
import { connectUpstream, listAllTools, type UpstreamSpec } from '@portcullis/upstream/connect-upstream';
import { stdioCommandAllowed, stdioRefusal } from '@portcullis/upstream/stdio-commands';
import type { Transport } from '@portcullis/db/types';
import { env } from '../../env';
import { ValidationError } from '../../server/errors';

export type { UpstreamSpec };

const TIMEOUT_MS = 30_000;

/** Checks at registration what connecting would refuse, so the form can point at the field. */
export function checkUpstreamAllowed(spec: { transport: Transport; url: string | null; command: string | null; args?: readonly string[] }): void {
  const e = env();
  if (spec.transport === 'stdio') {
    const command = spec.command?.trim();
    if (!command) throw new ValidationError('Enter the command to run.', 'command');
    const args = spec.args ?? [];
    if (!stdioCommandAllowed(e.stdioCommands, command, args)) {
      throw new ValidationError(`${stdioRefusal(e.stdioCommands, command, args, 'STDIO_COMMANDS')}.`, 'command');
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
