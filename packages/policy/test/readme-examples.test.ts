import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../src/policy-json-schema.ts';
import { validatePolicy } from '../src/validate.ts';

const readme = readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../README.md'),
  'utf8',
);
const examples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown);
const schemaValidate = new Ajv({ allErrors: true }).compile(policyJsonSchema);

describe('README policy examples', () => {
  it('has examples', () => expect(examples.length).toBeGreaterThanOrEqual(6));
  it.each(examples.map((doc, i) => [i, doc] as const))(
    'example %i validates with validatePolicy and the JSON Schema',
    (_i, doc) => {
      expect(validatePolicy(doc)).toEqual({ ok: true, policy: doc });
      expect(schemaValidate(doc), JSON.stringify(schemaValidate.errors)).toBe(true);
    },
  );
});

describe('JSON Schema agrees with validatePolicy on invalid documents', () => {
  const invalid: unknown[] = [
    {},
    { version: '1', default: 'deny', extra: true },
    { version: '1', default: 'deny', tools: { t: { action: 'block' } } },
    { version: '1', default: 'deny', tools: { t: { limits: [{ window: 'fortnight', max: 30 }] } } },
    { version: '1', default: 'deny', tools: { t: { rate_limit: { max: 0, window: 60 } } } },
    { version: '1', default: 'deny', tools: { '@admin': {} } },
    { version: '1', default: 'deny', tools: { t: { conditions: [{ when: { arg: 'x' }, action: 'deny' }] } } },
    {
      version: '1',
      default: 'deny',
      tools: { t: { conditions: [{ when: { arg: 'x', equals: 1 }, action: 'hide' }] } },
    },
    { version: '1', default: 'deny', approval: { timeout: 0 } },
    { version: '1', default: 'deny', audit: { arguments: 'some' } },
    { version: '1', default: 'deny', resources: { action: 'hide' } },
    { version: '1', default: 'deny', prompts: {} },
    { version: '1', default: 'deny', prompts: { action: 'deny', note: 'x' } },
  ];
  it.each(invalid.map((doc, i) => [i, doc] as const))(
    'invalid document %i is rejected by both',
    (_i, doc) => {
      expect(validatePolicy(doc).ok).toBe(false);
      expect(schemaValidate(doc)).toBe(false);
    },
  );
});
