// The dashboard's door to upstream MCP servers: the same client (@portcullis/upstream) and the
// same refusals (private addresses, stdio templates, sandbox) as the gateway.
import {
  connectUpstream,
  listAllTools,
  listResourceUris,
  type UpstreamSpec,
} from '@portcullis/upstream/connect-upstream';
import { probeUpstreamEra } from '@portcullis/upstream/upstream-era';
import {
  describeTemplate,
  resolveStdioLaunch,
  StdioRefusedError,
} from '@portcullis/upstream/stdio-templates';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import type { Transport } from '@portcullis/db/types';
import { env } from '../../env';
import { ValidationError } from '../../server/errors';

export type { UpstreamSpec };

const TIMEOUT_MS = 30_000;

/** The stdio templates the operator offers, as a tenant may see them (no paths, no operator env). */
export function stdioTemplateChoices() {
  return env().stdio.templates.map(describeTemplate);
}

/** Whether this organization may register free-form stdio command lines (single-organization mode). */
export function freeformStdioAllowed(organizationId: string): boolean {
  return env().stdio.freeform?.organizationId === organizationId;
}

/** Checks at registration what connecting would refuse, so the form can point at the field. */
export function checkUpstreamAllowed(
  organizationId: string,
  spec: {
    transport: Transport;
    url: string | null;
    stdioTemplate: string | null;
    command: string | null;
    args: readonly string[];
    env: Record<string, string>;
  },
): void {
  if (spec.transport === 'stdio') {
    try {
      resolveStdioLaunch(
        {
          organizationId,
          template: spec.stdioTemplate,
          command: spec.command,
          args: spec.args,
          env: spec.env,
        },
        env().stdio.templates,
        env().stdio.freeform,
      );
    } catch (error) {
      if (error instanceof StdioRefusedError) throw new ValidationError(error.message, error.field);
      throw error;
    }
    return;
  }
  let url: URL;
  try {
    url = new URL(spec.url ?? '');
  } catch {
    throw new ValidationError('Enter a full URL, e.g. https://mcp.example.com/mcp.', 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('The URL must start with https:// or http://.', 'url');
}

/** A sentence for the user: our own words and status codes only, never the upstream's answer. */
export function describeConnectionError(error: unknown): string {
  if (error instanceof ValidationError) return error.message;
  return `Could not reach the server: ${describeUpstreamError(error)}`;
}

export async function fetchUpstreamSnapshot(spec: UpstreamSpec) {
  const e = env();
  const client = await connectUpstream(spec, {
    allowPrivateNetworks: e.ALLOW_PRIVATE_UPSTREAMS,
    privateOrigins: e.privateUpstreamOrigins,
    stdio: e.stdio,
    timeoutMs: TIMEOUT_MS,
    clientInfo: { name: 'portcullis-dashboard', version: '0.1.0' },
  });
  try {
    const tools = await listAllTools(client, TIMEOUT_MS);
    const resourceUris = await listResourceUris(client, TIMEOUT_MS).catch(() => undefined);
    // Which era it serves (docs/mcp-eras.md): a 2026-07-28 server/discover, else initialize.
    const era = await probeUpstreamEra(spec, {
      allowPrivateNetworks: e.ALLOW_PRIVATE_UPSTREAMS,
      privateOrigins: e.privateUpstreamOrigins,
      timeoutMs: TIMEOUT_MS,
      clientInfo: { name: 'portcullis-dashboard', version: '0.1.0' },
    });
    const info = client.getServerVersion();
    return {
      serverInfo: info ? { name: info.name, version: info.version } : undefined,
      tools,
      resourceUris,
      era,
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}
