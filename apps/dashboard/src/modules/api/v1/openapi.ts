// The OpenAPI 3.1 document of /api/v1, generated from the routes' own zod schemas (zod's JSON
// Schema export, draft 2020-12 as OpenAPI 3.1 uses): what a handler parses is what the document
// says. The policy document is described by the policy language's JSON Schema.
import { policyJsonSchema } from '@portcullis/policy/policy-json-schema';
import { z } from 'zod';
import type { DefinedRoute, RouteSpec } from '../handler';
import { decideApprovalRoute, listApprovalsRoute } from './approvals';
import { listAuditRoute } from './audit';
import { createGrantRoute, listGrantsRoute, revokeGrantRoute } from './grants';
import { getPolicyRoute, listPolicyVersionsRoute, putPolicyRoute } from './policies';
import {
  createServerRoute,
  getServerRoute,
  listServersRoute,
  listToolsRoute,
  syncServerRoute,
} from './servers';
import { reviewToolRoute, updateToolRoute } from './tools';
import {
  createToolsetRoute,
  deleteToolsetRoute,
  getToolsetRoute,
  listToolsetsRoute,
  patchToolsetRoute,
  putToolsetRoute,
  simulateToolsetCallRoute,
} from './toolsets';

/** Every /api/v1 route; a test checks this against the route files on disk. */
export const apiV1Routes: DefinedRoute[] = [
  listServersRoute,
  createServerRoute,
  getServerRoute,
  syncServerRoute,
  listToolsRoute,
  reviewToolRoute,
  updateToolRoute,
  getPolicyRoute,
  putPolicyRoute,
  listPolicyVersionsRoute,
  listGrantsRoute,
  createGrantRoute,
  revokeGrantRoute,
  listApprovalsRoute,
  decideApprovalRoute,
  listAuditRoute,
  listToolsetsRoute,
  createToolsetRoute,
  getToolsetRoute,
  putToolsetRoute,
  patchToolsetRoute,
  deleteToolsetRoute,
  simulateToolsetCallRoute,
];

type JsonSchema = Record<string, unknown>;

/** The policy language's JSON Schema (draft-07) in the OpenAPI 3.1 dialect (2020-12): `$defs`, no `$schema`. */
function policyDocumentSchema(): JsonSchema {
  const { $schema: _, definitions, ...rest } = policyJsonSchema as JsonSchema & { definitions?: JsonSchema };
  return JSON.parse(
    JSON.stringify({ ...rest, $defs: definitions }).replaceAll('"#/definitions/', '"#/$defs/'),
  ) as JsonSchema;
}

/** A zod schema as OpenAPI 3.1 JSON Schema; named sub-schemas (`.meta({ id })`) go to components. */
function jsonSchemaOf(schema: z.ZodType, components: Record<string, JsonSchema>): JsonSchema {
  const {
    $schema: _,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, def] of Object.entries($defs ?? {})) components[name] ??= def;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}

const errorResponse = {
  description: 'Error: `pointer` names the field (JSON pointer) when the input is at fault',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: { message: { type: 'string' }, pointer: { type: 'string' } },
            required: ['message'],
          },
        },
        required: ['error'],
      },
    },
  },
};

function operation(spec: RouteSpec, components: Record<string, JsonSchema>) {
  const pathParams = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1]!,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const queryParams = spec.query
    ? Object.entries(
        (jsonSchemaOf(spec.query, components).properties ?? {}) as Record<string, JsonSchema>,
      ).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        // Query values arrive as text; a date is given as ISO 8601.
        schema: Object.keys(schema).length ? schema : { type: 'string', format: 'date-time' },
      }))
    : [];
  return {
    summary: spec.summary,
    description: `Needs the ${spec.role} role (an API key acts with the lower of its role and its creator's current role).`,
    ...(pathParams.length || queryParams.length ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(spec.body, components) } },
          },
        }
      : {}),
    responses: {
      [spec.success.status]: {
        description: spec.success.description,
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      400: errorResponse,
      401: errorResponse,
      403: errorResponse,
      404: errorResponse,
      409: errorResponse,
    },
  };
}

export function openApiDocument(serverUrl: string) {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of apiV1Routes) (paths[spec.path] ??= {})[spec.method] = operation(spec, components);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis API',
      version: '1.0.0',
      description:
        'Servers, policies, grants, approvals and audit of one organization. Authenticate with an organization API key.',
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'Organization API key (pck_…); it acts with the lower of its role and its creator’s current role, and stops working (401) when its creator leaves the organization.',
        },
      },
      schemas: { ...components, PolicyDocument: policyDocumentSchema() },
    },
    paths,
  };
}
