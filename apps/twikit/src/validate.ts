// A small JSON Schema validator for the subset the catalog uses: `type` (single or array),
// `properties`, `required`, `items` and `default`. Unknown arguments are rejected.
import type { JsonSchema, JsonSchemaType } from './catalog.ts';

export type ValidationResult =
  { ok: true; value: Record<string, unknown> } | { ok: false; message: string; problems: string[] };

function typeOf(value: unknown): JsonSchemaType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
}

function matchesType(value: unknown, type: JsonSchemaType): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function checkValue(path: string, value: unknown, schema: JsonSchema, problems: string[]): void {
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      problems.push(`"${path}" must be ${types.join(' or ')}, got ${typeOf(value)}`);
      return;
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => checkValue(`${path}[${i}]`, item, schema.items as JsonSchema, problems));
  }
}

/** Validates `args` against an object schema and fills in defaults. */
export function validateArguments(
  toolName: string,
  schema: JsonSchema,
  args: Record<string, unknown> | undefined,
): ValidationResult {
  const input = args ?? {};
  const properties = schema.properties ?? {};
  const problems: string[] = [];

  for (const name of schema.required ?? []) {
    if (!(name in input) || input[name] === undefined) problems.push(`"${name}" is required`);
  }
  for (const [name, value] of Object.entries(input)) {
    const propSchema = properties[name];
    if (!propSchema) {
      const accepted = Object.keys(properties);
      problems.push(
        `"${name}" is not an accepted argument (accepted: ${accepted.length ? accepted.join(', ') : 'none'})`,
      );
      continue;
    }
    if (value !== undefined) checkValue(name, value, propSchema, problems);
  }
  if (problems.length > 0) {
    return { ok: false, problems, message: `Invalid arguments for ${toolName}: ${problems.join('; ')}` };
  }

  const value: Record<string, unknown> = {};
  for (const [name, propSchema] of Object.entries(properties)) {
    if (input[name] !== undefined) value[name] = input[name];
    else if ('default' in propSchema) value[name] = structuredClone(propSchema.default);
  }
  return { ok: true, value };
}
