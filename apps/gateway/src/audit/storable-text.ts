// PostgreSQL refuses NUL in text and json(b), and lone UTF-16 surrogates in json(b). Agents choose
// tool names, arguments, request ids and client info, so whatever of theirs is stored goes through
// here first: both become U+FFFD, as a text parameter's lone surrogates already do.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must go
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** A JSON value with every string (keys too) made storable. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[storableText(key)] = storableJson(item);
    return out;
  }
  return value;
}
