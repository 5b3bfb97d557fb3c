// Server actions read their FormData through a zod schema, like the REST API reads JSON: one schema
// per form, and a bad field is a ValidationError that names it (parseInput), never a String() of
// whatever arrived.
import { z } from 'zod';
import { parseInput, ValidationError } from './errors';

/** A text field; an absent field reads as ''. */
export function text(max = 10_000) {
  return z.string().max(max, `must be at most ${max} characters`).default('');
}

/** An id or slug of a row the action acts on (checked against the organization by the module). */
export const idField = z.string().max(200, 'is not an id').default('');

function isArrayField(field: z.ZodType): boolean {
  let current = field as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (
    (current.def.type === 'optional' || current.def.type === 'default' || current.def.type === 'nullable') &&
    current.def.innerType
  ) {
    current = current.def.innerType as typeof current;
  }
  return current.def.type === 'array';
}

/**
 * The FormData as the object `schema` describes: an array field takes every value of its name,
 * any other field its one value. Files are refused (no action takes one).
 */
export function parseForm<S extends z.ZodObject>(schema: S, form: FormData): z.infer<S> {
  return parseInput(schema, formObject(schema, form));
}

/** The same, without throwing: for forms whose every failure gets one answer (sign-in). */
export function safeParseForm<S extends z.ZodObject>(schema: S, form: FormData): z.infer<S> | undefined {
  try {
    return parseForm(schema, form);
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

function formObject(schema: z.ZodObject, form: FormData): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const values = form.getAll(key);
    if (values.some((value) => typeof value !== 'string'))
      throw new ValidationError(`${key}: must be text`, `/${key}`);
    raw[key] = isArrayField(field) ? values : values[0];
  }
  return raw;
}

/**
 * The organization an action is scoped to, read before anything else (membership is checked
 * with it); anything but a short text reads as '' and so finds no organization (404).
 */
export function formOrgSlug(form: FormData): string {
  return safeParseForm(orgSlugForm, form)?.orgSlug ?? '';
}
const orgSlugForm = z.object({ orgSlug: z.string().max(100).default('') });
