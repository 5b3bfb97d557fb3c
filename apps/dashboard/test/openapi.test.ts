// Issue #20: the OpenAPI document is generated from the routes' schemas. Every /api/v1 route file's
// handlers are in the document (and nothing else is), and the document's request schemas accept and
// refuse exactly what the handlers' own parsing accepts and refuses.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { RouteSpec } from '../src/modules/api/handler.ts';
import { apiV1Routes, openApiDocument } from '../src/modules/api/v1/openapi.ts';

const apiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/app/api/v1');

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return name === 'route.ts' ? [full] : [];
  });
}

const documentPath = (file: string) =>
  `/${path.relative(apiDir, path.dirname(file)).split(path.sep).join('/')}`.replace(/\[(\w+)\]/g, '{$1}');

describe('OpenAPI document', () => {
  const doc = openApiDocument('http://dashboard.test');

  it('has every handler of every /api/v1 route file, at its path and method, and nothing else', async () => {
    const onDisk: string[] = [];
    for (const file of routeFiles(apiDir)) {
      const where = documentPath(file);
      if (where === '/openapi.json') continue;
      const mod = (await import(file)) as Record<string, { spec?: RouteSpec }>;
      for (const [method, handler] of Object.entries(mod)) {
        expect(handler.spec, `${method} ${where} is defined with defineRoute`).toBeDefined();
        expect(handler.spec!.method).toBe(method.toLowerCase());
        expect(handler.spec!.path).toBe(where);
        expect(apiV1Routes).toContain(handler);
        onDisk.push(`${method.toLowerCase()} ${where}`);
      }
    }
    const documented = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m} ${p}`),
    );
    expect(documented.sort()).toEqual(onDisk.sort());
    expect(onDisk.length).toBe(apiV1Routes.length);
  });

  it('declares every path parameter, and every $ref resolves', () => {
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods) as Array<{
        parameters?: Array<{ name: string; in: string }>;
      }>) {
        const declared = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
        expect(declared, p).toEqual([...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      }
    }
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      expect(doc.components.schemas, ref[1]).toHaveProperty(ref[1]!);
    }
  });

  it('its request schemas agree with what the handlers parse', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [name, schema] of Object.entries(doc.components.schemas))
      ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    const samples: Record<string, unknown[]> = {
      'post /servers': [
        { name: 'x', transport: 'streamable_http', url: 'https://mcp.example.com/mcp' },
        { name: 'x', transport: 'stdio', stdioTemplate: 'twikit', env: [{ name: 'TOKEN', value: 't' }] },
        { name: '', transport: 'streamable_http' },
        { name: 'x', transport: 'ftp' },
        { name: 'x', transport: 'stdio', unknown: 1 },
      ],
      'post /grants': [
        { name: 'agent', serverId: 's1' },
        { name: 'agent' },
        { name: 'agent', serverId: 's1', extra: true },
        { name: 'agent', toolsetId: 't1' },
        { name: 'agent', serverId: 's1', toolsetId: 't1' },
        { name: 'agent', toolsetId: '' },
      ],
      'patch /tools/{toolId}': [
        { overrideName: 'post', overrideTitle: 'Post', overrideDescription: 'Posts.' },
        { overrideName: null, overrideTitle: null, overrideDescription: null },
        {},
        { overrideTitle: 't'.repeat(201) },
        { overrideDescription: 'd'.repeat(4001) },
        { overrideName: 'post', riskCategory: 'read' },
        { overrideName: 3 },
      ],
      'post /toolsets': [
        { name: 'Social', members: [{ serverId: 's1' }] },
        {
          name: 'Social',
          description: null,
          members: [
            {
              serverId: 's1',
              prefix: 'tw',
              allTools: false,
              tools: ['get_tweet'],
              overrides: { get_tweet: { name: 'read', title: 'Read', description: 'Reads.' } },
            },
          ],
        },
        { name: 'Social', members: [] },
        { name: 'Social' },
        { name: 'Social', members: [{ serverId: 's1', colour: 'red' }] },
        { name: 'Social', members: [{ serverId: 's1', overrides: { x: { title: 't'.repeat(201) } } }] },
      ],
      'put /toolsets/{toolsetId}': [
        { name: 'Social', members: [{ serverId: 's1' }] },
        { name: 'Social' },
        { name: '', members: [{ serverId: 's1' }] },
      ],
      'patch /toolsets/{toolsetId}': [
        { name: 'Social' },
        {},
        { members: [{ serverId: 's1', tools: ['a'] }] },
        { members: [] },
        { extra: 1 },
      ],
      'post /toolsets/{toolsetId}/simulate': [
        { name: 'tw__get_tweet', arguments: { tweet_id: '1' } },
        { name: 'tw__get_tweet' },
        { name: '', arguments: {} },
        { name: 'x'.repeat(129) },
        { name: 'tw__get_tweet', arguments: [] },
        { name: 'tw__get_tweet', arguments: 'x' },
        { arguments: {} },
        { name: 'tw__get_tweet', extra: 1 },
      ],
      'post /approvals/{approvalId}/decide': [
        { decision: 'approve' },
        { decision: 'deny', note: 'no' },
        { decision: 'maybe' },
        { decision: 'approve', note: 'x'.repeat(1001) },
      ],
      'post /tools/{toolId}/review': [
        { decision: 'approve', definitionHash: 'a'.repeat(64) },
        { decision: 'approve' },
        { decision: 'block' },
        { decision: 'block', definitionHash: 'a'.repeat(64) },
      ],
      'put /servers/{serverId}/policy': [
        { document: { version: '1', default: 'deny' } },
        { message: 'no document' },
        { document: {}, extra: 1 },
      ],
    };
    const checked: string[] = [];
    for (const { spec } of apiV1Routes) {
      const key = `${spec.method} ${spec.path}`;
      const op = (
        doc.paths[spec.path] as Record<
          string,
          { requestBody?: { content: { 'application/json': { schema: object } } } }
        >
      )[spec.method]!;
      expect(Boolean(op.requestBody), key).toBe(Boolean(spec.body));
      if (!spec.body) continue;
      expect(samples[key], `samples for ${key}`).toBeDefined();
      const validate = ajv.compile(op.requestBody!.content['application/json'].schema);
      for (const body of samples[key]!) {
        // The policy document's content is judged by packages/policy, not by the envelope.
        expect(validate(body), `${key} ${JSON.stringify(body)}`).toBe(spec.body.safeParse(body).success);
      }
      checked.push(key);
    }
    expect(checked.sort()).toEqual(Object.keys(samples).sort());
  });
});
