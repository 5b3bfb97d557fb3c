// Which MCP era an upstream serves (issue #27, docs/mcp-eras.md): a 2026-07-28 server answers a
// stateless `server/discover` carrying the revision's `_meta` envelope with the versions it
// supports; a 2025-era server refuses it (an HTTP error, -32601, or a non-result) and is reached by
// `initialize` as today. Probed at registration and sync over the same guarded fetch as every
// upstream request (address guard in the socket lookup, no redirects, bounded answer). Streamable
// HTTP only: an SSE (2024-11-05) upstream is legacy by definition, and a stdio server is not probed
// (it would mean starting a second sandboxed process per sync).
import { createParser } from 'eventsource-parser';
import { createNodeFetch } from './node-fetch.ts';
import { privateAllowedFor, type ConnectUpstreamOptions, type UpstreamSpec } from './connect-upstream.ts';

export type UpstreamEra = 'modern' | 'legacy';

export interface EraProbe {
  era: UpstreamEra;
  /** The revisions a modern upstream says it supports (empty for a legacy one). */
  versions: string[];
  /** Why the upstream counts as legacy, in our words (never its answer's text). */
  why?: string;
}

export const MODERN_REVISION = '2026-07-28';
const PROBE_MAX_BYTES = 256 * 1024;

export async function probeUpstreamEra(
  spec: UpstreamSpec,
  options: Pick<
    ConnectUpstreamOptions,
    'allowPrivateNetworks' | 'privateOrigins' | 'timeoutMs' | 'clientInfo'
  >,
  authorization?: string,
): Promise<EraProbe> {
  if (spec.transport === 'sse')
    return { era: 'legacy', versions: [], why: 'an HTTP+SSE (2024-11-05) server' };
  if (spec.transport !== 'streamable_http' || !spec.url)
    return { era: 'legacy', versions: [], why: 'not probed (stdio)' };
  const url = new URL(spec.url);
  const fetch = createNodeFetch({
    allowPrivateNetworks: privateAllowedFor(url, options),
    maxMessageBytes: PROBE_MAX_BYTES,
  });
  const body = {
    jsonrpc: '2.0',
    id: 'portcullis-discover',
    method: 'server/discover',
    params: {
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_REVISION,
        'io.modelcontextprotocol/clientInfo': options.clientInfo ?? { name: 'portcullis', version: '0.1.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        ...spec.headers,
        ...(authorization ? { authorization } : {}),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN_REVISION,
        'mcp-method': 'server/discover',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    // Unreachable: the sync that follows reports it in its own words; the era is unknown, so legacy.
    return { era: 'legacy', versions: [], why: `no answer (${(error as Error).name})` };
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { era: 'legacy', versions: [], why: `server/discover answered HTTP ${response.status}` };
  }
  let message: unknown;
  try {
    message = await readMessage(response);
  } catch {
    return { era: 'legacy', versions: [], why: 'server/discover answer was not JSON-RPC' };
  }
  const result = (message as { result?: { supportedVersions?: unknown } } | undefined)?.result;
  const versions = Array.isArray(result?.supportedVersions)
    ? result.supportedVersions
        .filter((v): v is string => typeof v === 'string' && /^[\w.-]{1,40}$/.test(v))
        .slice(0, 20)
    : [];
  if (!versions.includes(MODERN_REVISION))
    return { era: 'legacy', versions: [], why: 'server/discover did not name 2026-07-28' };
  return { era: 'modern', versions };
}

/** The JSON-RPC answer of a JSON or an event-stream response (its first message event). */
async function readMessage(response: Response): Promise<unknown> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) return JSON.parse(text);
  let data: string | undefined;
  const parser = createParser({
    onEvent: (event) => {
      if (data === undefined && (event.event === undefined || event.event === 'message')) data = event.data;
    },
  });
  parser.feed(text);
  if (data === undefined) throw new Error('no message event');
  return JSON.parse(data);
}
