// The OpenAPI 3.1 document of /api/v1, written by hand next to the handlers it describes.
import { policyJsonSchema } from '@portcullis/policy/policy-json-schema';

const error = {
  description: 'Error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { error: { type: 'object', properties: { message: { type: 'string' }, pointer: { type: 'string' } }, required: ['message'] } },
      },
    },
  },
};
const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const json = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error };

export function openApiDocument(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'Portcullis API', version: '1.0.0', description: 'Servers, policies, grants, approvals and audit of one organization. Authenticate with an organization API key.' },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Organization API key (pck_…); it acts with the lower of its role and its creator’s current role, and stops working (401) when its creator leaves the organization.' } },
      schemas: { PolicyDocument: policyJsonSchema },
    },
    paths: {
      '/servers': {
        get: { summary: 'List servers', responses: { 200: ok('Servers'), ...errors } },
        post: {
          summary: 'Register a server',
          requestBody: json({
            type: 'object',
            required: ['name', 'transport'],
            properties: {
              name: { type: 'string' },
              transport: { enum: ['streamable_http', 'sse', 'stdio'] },
              url: { type: 'string' },
              command: { type: 'string' },
              args: { type: 'array', items: { type: 'string' } },
              headers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } } },
              env: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } } },
            },
          }),
          responses: { 201: ok('Created server (secrets never returned)'), ...errors },
        },
      },
      '/servers/{serverId}': { get: { summary: 'Get a server', parameters: [pathParam('serverId')], responses: { 200: ok('Server'), ...errors } } },
      '/servers/{serverId}/sync': { post: { summary: 'Sync tools from upstream', parameters: [pathParam('serverId')], responses: { 200: ok('Sync summary'), ...errors } } },
      '/servers/{serverId}/tools': {
        get: {
          summary: 'List tools (catalog)',
          parameters: [
            pathParam('serverId'),
            { name: 'q', in: 'query', schema: { type: 'string' } },
            { name: 'category', in: 'query', schema: { enum: ['read', 'write', 'destructive'] } },
            { name: 'severity', in: 'query', schema: { enum: ['low', 'medium', 'high'] } },
            { name: 'pin', in: 'query', schema: { enum: ['approved', 'changed', 'blocked', 'pending'] } },
          ],
          responses: { 200: ok('Tools'), ...errors },
        },
      },
      '/tools/{toolId}/review': {
        post: {
          summary: 'Approve a changed or new tool definition (bound to the definitionHash reviewed; 409 if it changed since), or keep it blocked',
          parameters: [pathParam('toolId')],
          requestBody: json({
            type: 'object',
            required: ['decision'],
            properties: { decision: { enum: ['approve', 'block'] }, definitionHash: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
          }),
          responses: { 200: ok('Tool'), ...errors },
        },
      },
      '/servers/{serverId}/policy': {
        get: { summary: 'Active policy version', parameters: [pathParam('serverId')], responses: { 200: ok('Policy (null when none)'), ...errors } },
        put: {
          summary: 'Save a new policy version',
          parameters: [pathParam('serverId')],
          requestBody: json({ type: 'object', required: ['document'], properties: { document: { $ref: '#/components/schemas/PolicyDocument' }, message: { type: 'string' } } }),
          responses: { 201: ok('New active version'), ...errors },
        },
      },
      '/servers/{serverId}/policy/versions': { get: { summary: 'Policy history', parameters: [pathParam('serverId')], responses: { 200: ok('Versions'), ...errors } } },
      '/grants': {
        get: { summary: 'List grants', responses: { 200: ok('Grants'), ...errors } },
        post: {
          summary: 'Create a grant (token and proxy URL returned once)',
          requestBody: json({ type: 'object', required: ['name', 'serverId'], properties: { name: { type: 'string' }, serverId: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } }),
          responses: { 201: ok('Grant with token, proxyUrl, embeddedUrl'), ...errors },
        },
      },
      '/grants/{grantId}/revoke': { post: { summary: 'Revoke a grant', parameters: [pathParam('grantId')], responses: { 200: ok('Revoked grant'), ...errors } } },
      '/approvals': {
        get: {
          summary: 'List approvals (arguments: only for editors and above, and only while pending; null otherwise)',
          parameters: [{ name: 'status', in: 'query', schema: { enum: ['pending', 'approved', 'denied', 'expired', 'consumed'] } }],
          responses: { 200: ok('Approvals'), ...errors },
        },
      },
      '/approvals/{approvalId}/decide': {
        post: {
          summary: 'Approve or deny a pending call (only once)',
          parameters: [pathParam('approvalId')],
          requestBody: json({ type: 'object', required: ['decision'], properties: { decision: { enum: ['approve', 'deny'] }, note: { type: 'string' } } }),
          responses: { 200: ok('Decided approval'), ...errors },
        },
      },
      '/audit': {
        get: {
          summary: 'Audit events, newest first, cursor-paged',
          parameters: ['server', 'grant', 'tool', 'decision', 'from', 'to', 'cursor', 'limit'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
          responses: { 200: ok('{ events, nextCursor }'), ...errors },
        },
      },
    },
  };
}
