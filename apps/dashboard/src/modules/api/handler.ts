// The REST API's one wrapper: authenticates (API key, or session + org), checks the role, parses
// input with zod, and turns errors into `{ error: { message, pointer } }` with the right status;
// each request is one span (server/spans.ts).
import type { Role } from '@portcullis/db/types';
import { z } from 'zod';
import { resolveApiKey, resolveMembership } from '../orgs/membership';
import type { OrgContext } from '../../server/context';
import { db } from '../../server/db';
import { inApiSpan, noteOrganization } from '../../server/spans';
import {
  AppError,
  ForbiddenError,
  parseInput,
  UnauthenticatedError,
  ValidationError,
} from '../../server/errors';

type Params = Record<string, string>;
type Handler<P extends Params> = (args: {
  ctx: OrgContext;
  request: Request;
  params: P;
}) => Promise<Response | unknown>;

export function errorResponse(status: number, message: string, pointer?: string): Response {
  return Response.json(
    { error: { message, ...(pointer !== undefined ? { pointer } : {}) } },
    { status, headers: { 'Cache-Control': 'no-store' } },
  );
}

async function authenticate(request: Request, minRole: Role): Promise<OrgContext> {
  const header = request.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !match[1]!.startsWith('pck_'))
      throw new UnauthenticatedError('Send an API key as "Authorization: Bearer pck_…".');
    return resolveApiKey(db(), match[1]!, minRole);
  }
  // Loaded only for cookie sessions: keeps Auth.js (and next/server) out of API-key requests and tests.
  const { auth } = await import('../../auth');
  const session = await auth();
  if (!session?.user?.id) throw new UnauthenticatedError();
  // Cookies ride along on cross-site requests; state changes with a session must come from our own pages.
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const origin = request.headers.get('origin');
    const host = request.headers.get('host');
    if (!origin || !host || new URL(origin).host !== host)
      throw new ForbiddenError('Cross-site request refused; use an API key.');
  }
  const url = new URL(request.url);
  const slug = request.headers.get('x-portcullis-org') ?? url.searchParams.get('org');
  if (!slug)
    throw new ValidationError(
      'With a session, name the organization: ?org=<slug> or the X-Portcullis-Org header.',
      '/org',
    );
  return resolveMembership(db(), session.user.id, slug, minRole);
}

/** Each request is one span, named by the route's template: `GET /api/v1/servers/{serverId}`. */
export function apiRoute<P extends Params = Params>(
  { role: minRole, path }: Pick<RouteSpec, 'role' | 'path'>,
  handler: Handler<P>,
) {
  const respond = async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const ctx = await authenticate(request, minRole);
      noteOrganization(ctx.organizationId);
      const result = await handler({ ctx, request, params: await context.params });
      if (result instanceof Response) return result;
      return Response.json(result, { headers: { 'Cache-Control': 'no-store' } });
    } catch (error) {
      if (error instanceof AppError) return errorResponse(error.status, error.message, error.pointer);
      console.error('[api] unexpected error', error instanceof Error ? error.message : error);
      return errorResponse(500, 'Internal error; the request was not completed.');
    }
  };
  const route = `/api/v1${path}`;
  return (request: Request, context: { params: Promise<P> }): Promise<Response> =>
    inApiSpan(request.method, route, () => respond(request, context));
}

const MAX_BODY = 1_000_000;

export async function readJson<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const text = await request.text();
  if (text.length > MAX_BODY) throw new ValidationError('Request body is larger than 1 MB.', '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ValidationError('Request body is not valid JSON.', '');
  }
  return parseInput(schema, body);
}

/** The query string, parsed like a body: a bad value is a 400 naming the parameter, never a 500. */
export function readQuery<T extends z.ZodType>(request: Request, schema: T): z.infer<T> {
  return parseInput(schema, Object.fromEntries(new URL(request.url).searchParams));
}

/** What a route is, for the generated OpenAPI document (openapi.ts) and the route-table test. */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Under /api/v1, with {param} placeholders: the folder of its route.ts. */
  path: string;
  summary: string;
  role: Role;
  body?: z.ZodType;
  query?: z.ZodType;
  success: { status: 200 | 201; description: string };
}

/** `{ serverId: string }` for '/servers/{serverId}/sync'. */
type PathParams<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name]: string } & PathParams<Rest>
  : unknown;

type Parsed<S, K extends 'body' | 'query'> = S extends { [key in K]: infer T extends z.ZodType }
  ? z.infer<T>
  : undefined;

/**
 * A REST route whose contract is data: the same zod schemas parse the request here and describe it
 * in the OpenAPI document, so the two cannot disagree. The handler gets the parsed body and query.
 */
export function defineRoute<const S extends RouteSpec>(
  spec: S,
  handler: (args: {
    ctx: OrgContext;
    request: Request;
    params: PathParams<S['path']>;
    body: Parsed<S, 'body'>;
    query: Parsed<S, 'query'>;
  }) => Promise<Response | unknown>,
) {
  const route = apiRoute<PathParams<S['path']> & Params>(spec, async ({ ctx, request, params }) => {
    const query = (spec.query ? readQuery(request, spec.query) : undefined) as Parsed<S, 'query'>;
    const body = (spec.body ? await readJson(request, spec.body) : undefined) as Parsed<S, 'body'>;
    const result = await handler({ ctx, request, params, body, query });
    if (result instanceof Response || spec.success.status === 200) return result;
    return Response.json(result, { status: spec.success.status, headers: { 'Cache-Control': 'no-store' } });
  });
  return Object.assign(route, { spec: spec as RouteSpec });
}
/** What the OpenAPI document and the route-table test need of a route. */
export interface DefinedRoute {
  spec: RouteSpec;
}
