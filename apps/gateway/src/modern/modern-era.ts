// The HTTP edge of the modern era (MCP 2026-07-28, stateless): which era a POST belongs to, the
// checks the spec makes a server do before serving a modern request (header/body agreement -32020,
// supported revision -32022), and the shape of modern results (resultType, cache hints, serverInfo).
// Era classification is the official SDK's own (`classifyInboundRequest`), so the gateway sorts
// requests exactly as the SDK's servers do; the standard-header half the SDK does not export is here.
import type { IncomingMessage } from 'node:http';
import {
  classifyInboundRequest,
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
} from '@modelcontextprotocol/server';
import type {
  ClientCapabilities,
  Implementation,
  ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';

/** The modern revisions this gateway serves. */
export const SUPPORTED_MODERN_VERSIONS: readonly string[] = ['2026-07-28'];
/** JSON-RPC codes the 2026-07-28 revision adds. */
export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** Longest value accepted in MCP-Protocol-Version, Mcp-Method or Mcp-Name. */
const MAX_HEADER_CHARS = 1024;
/** Largest client capabilities object (JSON characters) a modern request may declare. */
const MAX_CAPABILITIES_CHARS = 8 * 1024;

export interface ModernRequest {
  id: string | number;
  method: string;
  params: Record<string, unknown>;
  /** The revision the request's _meta names (supported: checked). */
  protocolVersion: string;
  clientInfo: Implementation | undefined;
  clientCapabilities: ClientCapabilities;
}

export type EraRoute =
  | { kind: 'legacy' }
  | { kind: 'notification' }
  | { kind: 'modern'; request: ModernRequest }
  | {
      kind: 'reject';
      status: number;
      id: string | number | null;
      error: { code: number; message: string; data?: unknown };
    };

/** The request methods of 2026-07-28 (the revision's registry, as the SDK has it); tasks are an extension the gateway does not offer. */
const MODERN_REQUEST_METHODS = new Set([
  'server/discover',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'subscriptions/listen',
]);
/** Methods 2026-07-28 removed, and why (said in the -32601 answer). */
const REMOVED_METHODS: Record<string, string> = {
  initialize:
    'a request with a 2026-07-28 _meta envelope is stateless; use server/discover, or send initialize without the envelope for a session',
  ping: '2026-07-28 removed ping; any request (server/discover) shows the server is up',
  'logging/setLevel':
    '2026-07-28 removed logging/setLevel; a request names its log level in _meta["io.modelcontextprotocol/logLevel"]',
  'resources/subscribe':
    '2026-07-28 removed resource subscriptions; use subscriptions/listen, or read the resource again',
  'resources/unsubscribe': '2026-07-28 removed resource subscriptions; close the subscriptions/listen stream',
};

/** The methods whose body names a target the Mcp-Name header must repeat, and where the name is. */
const NAME_SOURCE: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

function header(req: IncomingMessage, name: string): string | undefined | null {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text.length > MAX_HEADER_CHARS ? null : text;
}

function mismatch(id: string | number | null, headerValue: string, body: string): EraRoute {
  return {
    kind: 'reject',
    status: 400,
    id,
    error: {
      code: HEADER_MISMATCH,
      message: `Bad Request: the request headers and body disagree: ${body}`,
      data: { mismatch: { header: headerValue.slice(0, 200), body } },
    },
  };
}

/** `=?base64?…?=` values decoded (strictly: canonical Base64 of valid UTF-8), others as they are; undefined when malformed. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const encoded = value.slice('=?base64?'.length, -2);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function idOf(body: unknown): string | number | null {
  const id =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string'
    ? id.slice(0, 200)
    : typeof id === 'number' && Number.isSafeInteger(id)
      ? id
      : null;
}

/** Sorts a POST without Mcp-Session-Id into the legacy path, a modern request, or a rejection as the spec has it. */
export function classifyPost(req: IncomingMessage, body: unknown): EraRoute {
  const id = idOf(body);
  const headers: Array<string | undefined> = [];
  for (const name of ['MCP-Protocol-Version', 'Mcp-Method', 'Mcp-Name']) {
    const value = header(req, name.toLowerCase());
    if (value === null)
      return mismatch(id, '(too long)', `the ${name} header is longer than ${MAX_HEADER_CHARS} characters`);
    headers.push(value);
  }
  const [protocolVersionHeader, mcpMethodHeader, mcpNameHeader] = headers;
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    ...(protocolVersionHeader ? { protocolVersionHeader } : {}),
    ...(mcpMethodHeader ? { mcpMethodHeader } : {}),
    ...(mcpNameHeader ? { mcpNameHeader } : {}),
  });
  // Not JSON-RPC at all, or an empty batch: not a modern request either; the legacy path answers as it always has.
  if (
    route.kind === 'legacy' ||
    (route.kind === 'reject' && (route.cell === 'invalid-json-rpc-body' || route.cell === 'empty-batch'))
  )
    return { kind: 'legacy' };
  if (route.kind === 'reject') {
    return {
      kind: 'reject',
      status: route.httpStatus,
      id,
      error: {
        code: route.code,
        message: route.message.slice(0, 1000),
        ...(route.data === undefined ? {} : { data: route.data }),
      },
    };
  }
  const revision = route.classification.revision;
  if (revision === undefined || !SUPPORTED_MODERN_VERSIONS.includes(revision)) {
    const requested = (revision ?? 'unknown').slice(0, 64);
    return {
      kind: 'reject',
      status: 400,
      id,
      error: {
        code: UNSUPPORTED_PROTOCOL_VERSION,
        message: `Unsupported protocol version: ${requested} (this gateway serves ${SUPPORTED_MODERN_VERSIONS.join(', ')} and, with initialize, the 2025 revisions)`,
        data: { supported: [...SUPPORTED_MODERN_VERSIONS], requested },
      },
    };
  }
  // A modern notification carries nothing the gateway could act on without a session (cancellation is
  // the request's HTTP connection closing): accepted, not forwarded.
  if (route.messageKind !== 'request') return { kind: 'notification' };
  const message = route.message as unknown as {
    id: string | number;
    method: string;
    params?: Record<string, unknown>;
  };
  if (
    message.params !== undefined &&
    (typeof message.params !== 'object' || message.params === null || Array.isArray(message.params))
  ) {
    return {
      kind: 'reject',
      status: 400,
      id,
      error: { code: -32602, message: 'Invalid params: params must be an object' },
    };
  }
  const params = message.params ?? {};
  const removal = methodRejection(id, message.method);

  // The standard headers every modern request carries, and Mcp-Name against the body.
  if (protocolVersionHeader === undefined)
    return mismatch(
      id,
      '(missing)',
      `the body envelope names protocol version ${revision} but the required MCP-Protocol-Version header is absent`,
    );
  if (mcpMethodHeader === undefined)
    return mismatch(
      id,
      '(missing)',
      `the body names method ${message.method.slice(0, 100)} but the required Mcp-Method header is absent`,
    );
  const field = Object.hasOwn(NAME_SOURCE, message.method) ? NAME_SOURCE[message.method] : undefined;
  if (field !== undefined) {
    const bodyValue = typeof params[field] === 'string' ? (params[field] as string) : undefined;
    if (mcpNameHeader === undefined) {
      if (bodyValue !== undefined)
        return mismatch(
          id,
          '(missing)',
          `the body carries params.${field} but the required Mcp-Name header is absent`,
        );
    } else {
      const decoded = decodeHeaderValue(mcpNameHeader.trim());
      if (decoded === undefined)
        return mismatch(id, mcpNameHeader, 'the Mcp-Name header carries an invalid Base64 sentinel value');
      if (bodyValue !== undefined && decoded !== bodyValue)
        return mismatch(
          id,
          mcpNameHeader,
          `the body carries params.${field}="${bodyValue.slice(0, 200)}" but the Mcp-Name header names "${decoded.slice(0, 200)}"`,
        );
    }
  }

  // After the standard headers, as the SDK's own servers order it: a removed or unknown method is HTTP 404.
  if (removal) return removal;

  const meta = (params._meta ?? {}) as Record<string, unknown>;
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  const capabilitiesText = capabilities === undefined ? '{}' : JSON.stringify(capabilities);
  if (capabilitiesText.length > MAX_CAPABILITIES_CHARS) {
    return {
      kind: 'reject',
      status: 400,
      id,
      error: {
        code: -32602,
        message: `Invalid params: _meta["${CLIENT_CAPABILITIES_META_KEY}"] is larger than ${MAX_CAPABILITIES_CHARS} characters`,
      },
    };
  }
  const clientInfo = meta[CLIENT_INFO_META_KEY];
  return {
    kind: 'modern',
    request: {
      id: message.id,
      method: message.method,
      params,
      protocolVersion: revision,
      clientInfo: clientInfo && typeof clientInfo === 'object' ? (clientInfo as Implementation) : undefined,
      clientCapabilities:
        capabilities && typeof capabilities === 'object' && !Array.isArray(capabilities)
          ? (capabilities as ClientCapabilities)
          : {},
    },
  };
}

/** A method 2026-07-28 does not have (removed, or never defined): HTTP 404 with -32601 saying so. */
function methodRejection(id: string | number | null, method: string): EraRoute | undefined {
  if (MODERN_REQUEST_METHODS.has(method)) return undefined;
  const shown = method.slice(0, 100);
  const why = Object.hasOwn(REMOVED_METHODS, method)
    ? REMOVED_METHODS[method]
    : 'MCP 2026-07-28 has no such method';
  return {
    kind: 'reject',
    status: 404,
    id,
    error: { code: -32601, message: `Method not found: ${shown} — ${why}`, data: { method: shown } },
  };
}

/** The request's params as a 2025-era upstream reads them: no modern envelope keys, no multi-round-trip fields. */
export function legacyParams(params: Record<string, unknown>): Record<string, unknown> {
  const { _meta, inputResponses: _responses, requestState: _state, ...rest } = params;
  if (!_meta || typeof _meta !== 'object' || Array.isArray(_meta)) return rest;
  const meta = { ...(_meta as Record<string, unknown>) };
  for (const key of Object.keys(meta)) if (key.startsWith('io.modelcontextprotocol/')) delete meta[key];
  return Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
}

/** Results of these methods are cacheable on 2026-07-28 and carry ttlMs and cacheScope. */
const CACHEABLE = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
]);

/**
 * A complete modern result. Cache hints: every list depends on the grant's policy, which may change
 * at any moment, so clients are told the result is theirs alone and not to rely on it later.
 */
export function completeResult(
  method: string,
  result: Record<string, unknown>,
  serverInfo: Implementation | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result, resultType: 'complete' };
  if (CACHEABLE.has(method)) {
    out.ttlMs = 0;
    out.cacheScope = 'private';
  }
  if (method === 'tools/list' && Array.isArray(out.tools)) {
    // `execution` (tasks) left the core tool shape in 2026-07-28; tasks are an extension the gateway does not offer modern clients.
    out.tools = (out.tools as unknown[]).map((tool) => {
      if (!tool || typeof tool !== 'object' || !('execution' in tool)) return tool;
      const { execution: _execution, ...rest } = tool as Record<string, unknown>;
      return rest;
    });
  }
  const meta =
    out._meta && typeof out._meta === 'object' && !Array.isArray(out._meta)
      ? { ...(out._meta as Record<string, unknown>) }
      : {};
  if (serverInfo && meta[SERVER_INFO_META_KEY] === undefined) meta[SERVER_INFO_META_KEY] = serverInfo;
  if (Object.keys(meta).length > 0) out._meta = meta;
  return out;
}

/** What server/discover says: the grant's view of the server, with the capabilities modern clients are served. */
export function discoverResult(view: {
  serverInfo: Implementation;
  capabilities: ServerCapabilities;
  instructions?: string;
}): Record<string, unknown> {
  const { tools, prompts, resources, completions, experimental } = view.capabilities;
  // subscriptions/listen delivers tool list changes (policy and catalog edits); nothing else is offered on it.
  const capabilities: Record<string, unknown> = {
    ...(tools ? { tools: { listChanged: true } } : {}),
    ...(prompts ? { prompts: {} } : {}),
    ...(resources ? { resources: {} } : {}),
    ...(completions ? { completions: {} } : {}),
    ...(experimental ? { experimental } : {}),
  };
  return completeResult(
    'server/discover',
    {
      supportedVersions: [...SUPPORTED_MODERN_VERSIONS],
      capabilities,
      ...(view.instructions ? { instructions: view.instructions } : {}),
    },
    view.serverInfo,
  );
}

export { PROTOCOL_VERSION_META_KEY };
