import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formOrgSlug, idField, parseForm, safeParseForm, text } from '../src/server/form';
import { ValidationError } from '../src/server/errors';

const schema = z.object({
  name: text(5),
  serverId: idField,
  envName: z.array(z.string().max(10)).default([]),
  kind: z.enum(['a', 'b']).default('a'),
});

function form(entries: Array<[string, string | Blob]>): FormData {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
}

describe('parseForm: one schema per form', () => {
  it('reads single fields, every value of array fields, and defaults for absent ones', () => {
    expect(
      parseForm(
        schema,
        form([
          ['name', 'ab'],
          ['envName', 'A'],
          ['envName', 'B'],
          ['ignored', 'x'],
        ]),
      ),
    ).toEqual({ name: 'ab', serverId: '', envName: ['A', 'B'], kind: 'a' });
  });

  it('names the field of a bad value (pointer and sentence), never coerces it', () => {
    const tooLong = () => parseForm(schema, form([['name', 'abcdef']]));
    expect(tooLong).toThrow(ValidationError);
    expect(tooLong).toThrow(/^name: must be at most 5 characters/);
    try {
      parseForm(schema, form([['kind', 'c']]));
    } catch (error) {
      expect((error as ValidationError).pointer).toBe('/kind');
    }
    expect(() => parseForm(schema, form([['name', new Blob(['x'])]]))).toThrow(/name: must be text/);
  });

  it('safeParseForm and formOrgSlug answer instead of throwing', () => {
    expect(safeParseForm(schema, form([['name', 'abcdef']]))).toBeUndefined();
    expect(formOrgSlug(form([['orgSlug', 'acme']]))).toBe('acme');
    expect(formOrgSlug(form([['orgSlug', new Blob(['x'])]]))).toBe('');
    expect(formOrgSlug(form([]))).toBe('');
  });
});
