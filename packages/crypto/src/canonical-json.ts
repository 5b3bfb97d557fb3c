// Stable JSON (sorted keys) and its SHA-256, so equal values hash equally: tool definitions for
// pinning, call arguments for approvals.
import { createHash, createHmac } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // A null-prototype object, so a key named "__proto__" is kept as data (and hashed) rather than
    // silently setting the prototype: two different argument objects must never hash alike.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function hashCanonical(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** Keyed hash for redacted audit arguments: repeats link up, values cannot be guessed offline. */
export function saltedValueHash(salt: Buffer | string, value: unknown): string {
  return createHmac('sha256', salt).update(canonicalJson(value)).digest('base64url').slice(0, 22);
}
