// The HTTP layer: routes, Host/Origin checks, body limit, grant authentication (401/404) and the
// per-grant session limit (429). Decisions about tools are not made here (see calls/).
//
//   /mcp/<serverId>            Streamable HTTP, grant token in `Authorization: Bearer`
//   /mcp/<serverId>/sse        legacy HTTP+SSE event stream (GET) …
//   /mcp/<serverId>/messages   … and its message endpoint (POST ?sessionId=)
//   /g/<token>/mcp|sse|messages  the same, token in the URL for clients that cannot set headers
//   (a POST to the Streamable HTTP endpoint whose _meta names MCP 2026-07-28 is served statelessly: modern/)
//   /healthz /readyz /metrics  operations
//   /.well-known/oauth-protected-resource/mcp/<serverId>  OAuth protected-resource metadata (oauth-resource.ts)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { describeUpstreamError } from '@portcullis/upstream/upstream-errors';
import type { GatewayServices } from '../services.ts';
import { JsonRpcError } from '../errors.ts';
import { atEdge, timeAuthentication } from '../ops/tracing.ts';
import type { SessionRegistry } from '../sessions/session-registry.ts';
import { SessionLimitError } from '../sessions/grant-slots.ts';
import { classifyPost } from '../modern/modern-era.ts';
import type { ModernRequests } from '../modern/modern-requests.ts';
import { findInitialize, jsonRpcError, MAX_PARAMS_DEPTH, nestedTooDeep } from './json-rpc.ts';
import { grantTarget, type GrantContext } from '../state/grant-cache.ts';
import {
  bearerChallenge,
  isOAuthAccessToken,
  METADATA_PREFIX,
  protectedResourceMetadata,
  resourceFor,
} from './oauth-resource.ts';

export interface HttpContext {
  services: GatewayServices;
  sessions: SessionRegistry;
  /** Stateless requests of MCP 2026-07-28 clients. */
  modern: ModernRequests;
  allowedHosts: () => Set<string>;
  allowedOrigins: () => Set<string>;
  /** False while shutting down: new sessions are refused, open ones finish. */
  accepting: () => boolean;
  readyCheck: () => Promise<boolean>;
  /** Whether this request may read /metrics (loopback or GATEWAY_METRICS_ALLOW, or the metrics token). */
  metricsAccess: (req: IncomingMessage) => boolean;
}

const AUTH_CHALLENGE = 'Bearer realm="portcullis"';
const ROUTE = /^\/(?:mcp\/([A-Za-z0-9_-]{1,64})|g\/([A-Za-z0-9_-]{1,100}))(?:\/(mcp|sse|messages))?\/?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly code: number = ErrorCode.InvalidRequest,
  ) {
    super(message);
  }
}

export function createHttpHandler(ctx: HttpContext) {
  const { services } = ctx;
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Every answer is JSON, an event stream or metrics text: never let a browser sniff one into HTML.
    res.setHeader('x-content-type-options', 'nosniff');
    res.on('finish', () => services.metrics.recordHttp(res.statusCode));
    // With tracing on, the agent's trace context (traceparent) is the parent of the request's spans.
    atEdge(req.headers, () => handle(ctx, req, res)).catch((error: unknown) => {
      if (error instanceof HttpError)
        return sendError(res, error.status, error.code, error.message, error.headers);
      if (error instanceof SessionLimitError)
        return sendError(res, 429, ErrorCode.InvalidRequest, error.message, {
          'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))),
        });
      if (error instanceof JsonRpcError) return sendError(res, 502, error.code, error.message);
      services.log.error({ err: error, path: safePath(req.url) }, 'request failed');
      const message =
        error instanceof Error && /upstream|connect|ECONNREFUSED|spawn|stdio|GATEWAY_/i.test(error.message)
          ? `Upstream server is unavailable: ${describeUpstreamError(error)}`
          : 'Internal gateway error';
      sendError(res, 502, ErrorCode.InternalError, message);
    });
  };
}

async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { services, sessions } = ctx;
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  const path = url.pathname;

  if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/readyz') {
    const ready = await ctx.readyCheck();
    return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unreachable' });
  }
  if (req.method === 'GET' && path === '/metrics') {
    if (!ctx.metricsAccess(req)) throw new HttpError(404, `Not found: ${path}`);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(services.metrics.render());
    return;
  }

  if (path === METADATA_PREFIX || path.startsWith(`${METADATA_PREFIX}/`)) {
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET',
          'access-control-allow-headers': 'mcp-protocol-version',
        })
        .end();
      return;
    }
    const metadata = services.config.oauthIssuer
      ? protectedResourceMetadata(services.config.publicUrl, services.config.oauthIssuer, path)
      : undefined;
    if (req.method !== 'GET' || !metadata)
      throw new HttpError(
        404,
        `Not found: ${path.slice(0, 100)}; protected-resource metadata is at ${METADATA_PREFIX}/mcp/<serverId>`,
      );
    res
      .writeHead(200, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'cache-control': 'public, max-age=300',
      })
      .end(JSON.stringify(metadata));
    return;
  }

  const match = ROUTE.exec(path);
  if (!match)
    throw new HttpError(
      404,
      `Not found: ${path.slice(0, 100)}; MCP endpoints are /mcp/<serverId> and /g/<token>/mcp`,
    );

  // DNS-rebinding defence: a browser page on another site must not reach the gateway through a name that resolves to it.
  const host = (req.headers.host ?? '').toLowerCase();
  if (!ctx.allowedHosts().has(host))
    throw new HttpError(403, `Host ${host || '(none)'} is not allowed; add it to GATEWAY_ALLOWED_HOSTS`);
  const origin = req.headers.origin;
  if (origin !== undefined && !ctx.allowedOrigins().has(origin.toLowerCase())) {
    throw new HttpError(403, `Origin ${origin} is not allowed; add it to GATEWAY_ALLOWED_ORIGINS`);
  }

  const [, pathServerId, urlToken, leaf = 'mcp'] = match;
  const grant = await timeAuthentication(() => authenticate(ctx, req, pathServerId, urlToken));
  // The client's credentials stop here: nothing from the agent's request headers is passed upstream.
  delete req.headers.authorization;
  const base = pathServerId ? `/mcp/${pathServerId}` : `/g/${urlToken}`;

  if (leaf === 'sse') {
    if (req.method !== 'GET') throw new HttpError(405, 'The SSE endpoint accepts GET', { allow: 'GET' });
    if (!ctx.accepting()) throw new HttpError(503, 'Gateway is shutting down; reconnect shortly');
    await sessions.createSse(grant, `${base}/messages`, res);
    return;
  }
  if (leaf === 'messages') {
    if (req.method !== 'POST')
      throw new HttpError(405, 'The messages endpoint accepts POST', { allow: 'POST' });
    const entry = sessions.get(url.searchParams.get('sessionId') ?? '');
    if (!entry || entry.kind !== 'sse' || !sameCaller(entry.grant, grant))
      throw new HttpError(404, 'Session not found', {}, -32001);
    const body = await readJsonBody(req, services.config.maxBodyBytes);
    try {
      await sessions.postSse(entry, req, res, body);
    } catch (error) {
      entry.opening = undefined;
      throw error;
    }
    return;
  }

  // Streamable HTTP.
  if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
    throw new HttpError(405, 'Method not allowed', { allow: 'GET, POST, DELETE' });
  }
  const sessionId = req.headers['mcp-session-id'];
  if (typeof sessionId === 'string' && sessionId !== '') {
    let entry = sessions.get(sessionId);
    if (entry && (entry.kind !== 'streamable' || !sameCaller(entry.grant, grant))) entry = undefined;
    if (!entry) entry = await sessions.resumeStreamable(grant, sessionId);
    if (!entry || entry.kind !== 'streamable') throw new HttpError(404, 'Session not found', {}, -32001);
    entry.session.lastSeenAt = Date.now();
    const body = req.method === 'POST' ? await readJsonBody(req, services.config.maxBodyBytes) : undefined;
    await entry.transport.handleRequest(req, res, body);
    return;
  }
  if (req.method !== 'POST') throw new HttpError(400, 'Bad Request: Mcp-Session-Id header is required');
  const body = await readJsonBody(req, services.config.maxBodyBytes);
  // MCP 2026-07-28: a request whose _meta names its protocol version is served statelessly (modern/);
  // an initialize (or anything else without that envelope) keeps today's session behaviour.
  const era = classifyPost(req, body);
  if (era.kind === 'reject') {
    res
      .writeHead(era.status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', id: era.id, error: era.error }));
    return;
  }
  if (era.kind === 'notification') {
    res.writeHead(202).end();
    return;
  }
  if (era.kind === 'modern') {
    if (!ctx.accepting()) throw new HttpError(503, 'Gateway is shutting down; retry shortly');
    await ctx.modern.serve(grant, era.request, res);
    return;
  }
  const initialize = findInitialize(body);
  if (!initialize)
    throw new HttpError(400, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
  if (!ctx.accepting()) throw new HttpError(503, 'Gateway is shutting down; reconnect shortly');
  const entry = await sessions.createStreamable(grant, initialize);
  await entry.transport.handleRequest(req, res, body);
}

async function authenticate(
  ctx: HttpContext,
  req: IncomingMessage,
  pathServerId: string | undefined,
  urlToken: string | undefined,
): Promise<GrantContext> {
  let token = urlToken;
  const { publicUrl, oauthIssuer } = ctx.services.config;
  // A grant URL is an OAuth protected resource: its challenge says where to find the authorization server.
  const challenge = pathServerId && oauthIssuer ? bearerChallenge(publicUrl, pathServerId) : AUTH_CHALLENGE;
  if (pathServerId) {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!bearer)
      throw new HttpError(
        401,
        'Missing grant token: send Authorization: Bearer <grant token or OAuth access token>',
        { 'www-authenticate': challenge },
      );
    token = bearer[1];
    if (oauthIssuer && isOAuthAccessToken(token ?? ''))
      return authenticateAccessToken(ctx, token ?? '', pathServerId);
  }
  let lookup;
  try {
    lookup = await ctx.services.grants.authenticate(token ?? '');
  } catch (error) {
    ctx.services.log.error({ err: error }, 'grant lookup failed');
    throw new HttpError(
      503,
      'The gateway cannot reach its policy store; retry shortly',
      { 'retry-after': '1' },
      ErrorCode.InternalError,
    );
  }
  if (!lookup.ok) {
    const why = {
      unknown: 'Unknown grant token',
      revoked: 'This grant was revoked',
      expired: 'This grant has expired',
    }[lookup.reason];
    throw new HttpError(401, `${why}; ask for a new grant in the Portcullis dashboard`, {
      'www-authenticate': `${challenge}, error="invalid_token"`,
    });
  }
  if (pathServerId && grantTarget(lookup.grant) !== pathServerId)
    throw new HttpError(404, 'Not found: this grant is for another server');
  return lookup.grant;
}

/** An OAuth access token: valid, for this server's grant (else 404, as for grant tokens), and issued for exactly this resource. */
async function authenticateAccessToken(
  ctx: HttpContext,
  token: string,
  pathServerId: string,
): Promise<GrantContext> {
  const { publicUrl } = ctx.services.config;
  let lookup;
  try {
    lookup = await ctx.services.oauthTokens.authenticate(token);
  } catch (error) {
    ctx.services.log.error({ err: error }, 'access token lookup failed');
    throw new HttpError(
      503,
      'The gateway cannot reach its policy store; retry shortly',
      { 'retry-after': '1' },
      ErrorCode.InternalError,
    );
  }
  const invalid = bearerChallenge(publicUrl, pathServerId, 'invalid_token');
  if (!lookup.ok) {
    const why = {
      unknown: 'Unknown access token',
      revoked: 'This access token or its grant was revoked',
      expired: 'This access token has expired',
    }[lookup.reason];
    throw new HttpError(401, `${why}; authorize the client again`, { 'www-authenticate': invalid });
  }
  if (grantTarget(lookup.grant) !== pathServerId)
    throw new HttpError(404, 'Not found: this grant is for another server');
  if (lookup.resource !== resourceFor(publicUrl, pathServerId)) {
    throw new HttpError(
      401,
      'This access token was issued for another resource (RFC 8707); authorize the client for this URL',
      { 'www-authenticate': invalid },
    );
  }
  return lookup.grant;
}

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    req.resume();
    throw new HttpError(413, `Request body is larger than ${maxBytes} bytes (GATEWAY_MAX_BODY_BYTES)`, {
      connection: 'close',
    });
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    req.resume();
    throw new HttpError(415, 'Content-Type must be application/json');
  }
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the 413 goes out with Connection: close, which ends the socket.
        req.off('data', onData);
        req.pause();
        reject(
          new HttpError(413, `Request body is larger than ${maxBytes} bytes (GATEWAY_MAX_BODY_BYTES)`, {
            connection: 'close',
          }),
        );
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
  if (nestedTooDeep(text))
    throw new HttpError(
      400,
      `Invalid params: params are nested more than ${MAX_PARAMS_DEPTH} levels deep`,
      {},
      ErrorCode.InvalidParams,
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Parse error: the body is not valid JSON', {}, ErrorCode.ParseError);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(jsonRpcError(null, code, message));
}

/** Paths with tokens in them are never logged in full. */
function safePath(url: string | undefined): string {
  return (url ?? '').replace(/^\/g\/[^/]+/, '/g/[token]').slice(0, 200);
}

/**
 * A session belongs to the grant and the person it acts as: two people's OAuth tokens for one grant
 * never share a session (its upstream connection carries one person's connected account).
 */
function sameCaller(a: GrantContext, b: GrantContext): boolean {
  return a.grantId === b.grantId && a.actingUserId === b.actingUserId;
}
