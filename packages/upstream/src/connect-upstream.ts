// How Portcullis reaches upstream MCP servers: the transport for each kind (createUpstreamTransport,
// which the gateway's relay connection in upstream-connection.ts uses for every session), and an SDK
// Client over it for the dashboard's "Test connection" / "Sync tools" (connectUpstream).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities, Implementation, Tool } from '@modelcontextprotocol/sdk/types.js';
import { createNodeFetch, DEFAULT_MAX_MESSAGE_BYTES } from './node-fetch.ts';
import { confineStdioLaunch, DEFAULT_SANDBOX, type SandboxConfig } from './stdio-sandbox.ts';
import { resolveStdioLaunch, type StdioFreeform, type StdioTemplate } from './stdio-templates.ts';
import { PacedTransport, StdioUpstreamTransport, stdioPid } from './stdio-transport.ts';
import { NodeStreamableHttpClientTransport } from './streamable-http-client.ts';

export type UpstreamTransport = 'streamable_http' | 'sse' | 'stdio';

/** How to reach an upstream server; headers and env are decrypted secrets (see @portcullis/catalog's loadUpstreamSpec). */
export interface UpstreamSpec {
  transport: UpstreamTransport;
  url?: string | null;
  command?: string | null;
  args?: readonly string[];
  headers?: Record<string, string>;
  env?: Record<string, string>;
  /** stdio: the operator template the server runs (args then are the tenant's extra arguments). */
  stdioTemplate?: string | null;
  /** The server's organization (free-form stdio is allowed for one organization only). */
  organizationId?: string;
  /** The server's id: picks its sandbox user. */
  serverId?: string;
}

/** What stdio servers may run, and how they are confined (see stdio-templates.ts, stdio-sandbox.ts). */
export interface StdioPolicy {
  templates: readonly StdioTemplate[];
  freeform?: StdioFreeform | undefined;
  sandbox: SandboxConfig;
}

export const NO_STDIO: StdioPolicy = { templates: [], sandbox: DEFAULT_SANDBOX };

export interface ConnectUpstreamOptions {
  /** Allow URLs that resolve to private, loopback or link-local addresses. */
  allowPrivateNetworks: boolean;
  /** Exact origins (scheme://host:port) allowed although they are private, e.g. a local stand-in. */
  privateOrigins?: readonly string[];
  /** Stdio templates, free-form mode and sandbox; absent: stdio servers are refused. */
  stdio?: StdioPolicy;
  /** Bound on connecting and initializing. */
  timeoutMs: number;
  /** Largest single message accepted from the server (HTTP answer, SSE event, stdio line). Default 16 MiB. */
  maxMessageBytes?: number;
  clientInfo?: Implementation;
  clientCapabilities?: ClientCapabilities;
  /** Called before connecting, to register handlers for requests and notifications from the server. */
  setup?: (client: Client) => void;
  /** Lines the stdio server writes to stderr (diagnostics; may contain anything, so callers log them carefully). */
  onStderr?: (line: string) => void;
  /** Headers computed per HTTP request (W3C trace context of the call being forwarded). */
  contextHeaders?: () => Record<string, string> | undefined;
  /** The Authorization header per HTTP request (a connected account's token); wins over the server's headers. */
  authorization?: () => string | undefined;
}

export class UpstreamRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamRefusedError';
  }
}

const DEFAULT_CLIENT_INFO: Implementation = { name: 'portcullis-gateway', version: '0.1.0' };

export function createUpstreamTransport(spec: UpstreamSpec, options: ConnectUpstreamOptions): Transport {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  switch (spec.transport) {
    case 'streamable_http':
    case 'sse': {
      if (!spec.url) throw new UpstreamRefusedError(`A ${spec.transport} upstream needs a URL`);
      let url: URL;
      try {
        url = new URL(spec.url);
      } catch {
        throw new UpstreamRefusedError(`Upstream URL ${JSON.stringify(spec.url)} is not a valid URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new UpstreamRefusedError(`Upstream URL must be http or https, not ${url.protocol}`);
      if (spec.transport === 'streamable_http') {
        // node:http directly rather than the SDK's fetch-and-web-streams transport (the hot path of every proxied call).
        return new NodeStreamableHttpClientTransport(url, {
          headers: { ...spec.headers },
          allowPrivateNetworks: privateAllowedFor(url, options),
          maxMessageBytes,
          ...(options.contextHeaders ? { contextHeaders: options.contextHeaders } : {}),
          ...(options.authorization ? { authorization: options.authorization } : {}),
        });
      }
      // The SSE transport posts to the endpoint the server names; the SDK keeps it on the same origin.
      const fetch = createNodeFetch({
        allowPrivateNetworks: privateAllowedFor(url, options),
        maxMessageBytes,
      });
      // (An SSE connection sends the token it started with; a refreshed one is used on reconnect.)
      const authorization = options.authorization?.();
      return new SSEClientTransport(url, {
        requestInit: { headers: { ...spec.headers, ...(authorization ? { authorization } : {}) } },
        fetch,
      });
    }
    case 'stdio': {
      const stdio = options.stdio ?? NO_STDIO;
      let confined;
      try {
        const launch = resolveStdioLaunch(
          {
            organizationId: spec.organizationId ?? '',
            template: spec.stdioTemplate ?? null,
            command: spec.command ?? null,
            args: spec.args ?? [],
            env: spec.env ?? {},
          },
          stdio.templates,
          stdio.freeform,
        );
        confined = confineStdioLaunch(
          launch,
          spec.serverId ?? `${spec.organizationId}:${spec.command}`,
          stdio.sandbox,
        );
      } catch (error) {
        throw new UpstreamRefusedError((error as Error).message);
      }
      // Our own transport (stdio-transport.ts): bounded lines, ordered synchronous delivery, and
      // the sandbox's scratch directory removed once the process is gone.
      const transport = new StdioUpstreamTransport({
        command: confined.command,
        args: confined.args,
        env: confined.env,
        ...(confined.cwd ? { cwd: confined.cwd } : {}),
        stderr: options.onStderr ? 'pipe' : 'ignore',
        maxMessageBytes,
        cleanup: confined.cleanup,
      });
      if (options.onStderr) readStderrLines(transport, options.onStderr);
      return transport;
    }
  }
}

/** Hands the stdio server's stderr over line by line (a piped stderr must be read, or a chatty server blocks). */
function readStderrLines(transport: StdioUpstreamTransport, onStderr: (line: string) => void): void {
  let buffered = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onStderr(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
    if (buffered.length > 8192) buffered = buffered.slice(-8192);
  });
}

/** Whether a URL may be reached although it is private: everything allowed, or its exact origin listed. */
export function privateAllowedFor(
  url: URL,
  options: Pick<ConnectUpstreamOptions, 'allowPrivateNetworks' | 'privateOrigins'>,
): boolean {
  return options.allowPrivateNetworks || (options.privateOrigins ?? []).includes(url.origin);
}

/** Connects and initializes; throws with a sentence naming the problem when it cannot. */
export async function connectUpstream(spec: UpstreamSpec, options: ConnectUpstreamOptions): Promise<Client> {
  const transport = createUpstreamTransport(spec, options);
  const client = new Client(options.clientInfo ?? DEFAULT_CLIENT_INFO, {
    capabilities: options.clientCapabilities ?? {},
  });
  options.setup?.(client);
  try {
    // The SDK's Client loses progress handed to it in the same turn as its result (see PacedTransport).
    await client.connect(
      transport instanceof StdioUpstreamTransport ? new PacedTransport(transport) : transport,
      { timeout: options.timeoutMs },
    );
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return client;
}

/** What listAllTools needs: the SDK's Client, or the gateway's relay connection (upstream-connection.ts). */
export interface ToolLister {
  listTools(
    params: { cursor?: string },
    options: { timeout: number },
  ): Promise<{ tools: Tool[]; nextCursor?: string | undefined }>;
}

/** Every tool the server lists, following pagination (bounded, so a server that loops cannot hang us). */
export async function listAllTools(client: ToolLister, timeoutMs: number, maxPages = 100): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (!cursor) return tools;
  }
  throw new Error(`Upstream tools/list did not finish after ${maxPages} pages`);
}

export interface ResourceLister {
  getServerCapabilities(): { resources?: unknown } | undefined;
  listResources(
    params: { cursor?: string },
    options: { timeout: number },
  ): Promise<{ resources: { uri: string }[]; nextCursor?: string | undefined }>;
}

/**
 * The URIs of the upstream's resources (all pages, at most `maxUris`), or none when it offers no
 * resources; a toolset refuses two members that list one URI (docs/toolsets.md).
 */
export async function listResourceUris(
  client: ResourceLister,
  timeoutMs: number,
  maxPages = 20,
  maxUris = 10_000,
): Promise<string[]> {
  if (!client.getServerCapabilities()?.resources) return [];
  const uris = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < maxPages && uris.size < maxUris; page++) {
    const result = await client.listResources(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
    for (const resource of result.resources)
      if (uris.size < maxUris && resource.uri.length <= 2_000) uris.add(resource.uri);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return [...uris];
}

/** The pid of a stdio upstream's process (for tests and operations), if there is one. */
export function upstreamPid(client: Client): number | undefined {
  return stdioPid(client.transport);
}
