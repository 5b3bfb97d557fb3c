import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  decryptSecret,
  decryptSecretMap,
  encryptSecret,
  encryptSecretMap,
  parseEncryptionKey,
} from '../src/secret-box.ts';
import { hashToken, issueToken, looksLikeToken, tokenMatchesHash } from '../src/tokens.ts';
import { canonicalJson, hashCanonical, saltedValueHash } from '../src/canonical-json.ts';

const key = randomBytes(32);

describe('secret box', () => {
  it('round-trips and never contains the plaintext', () => {
    const sealed = encryptSecret(key, 'Bearer ghp_supersecret', 'ctx-a');
    expect(sealed).not.toContain('supersecret');
    expect(decryptSecret(key, sealed, 'ctx-a')).toBe('Bearer ghp_supersecret');
  });
  it('refuses another context, another key, or a tampered ciphertext', () => {
    const sealed = encryptSecret(key, 'x', 'ctx-a');
    expect(() => decryptSecret(key, sealed, 'ctx-b')).toThrow();
    expect(() => decryptSecret(randomBytes(32), sealed, 'ctx-a')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => decryptSecret(key, parts.join('.'), 'ctx-a')).toThrow();
  });
  it('maps round-trip; empty when unset', () => {
    const sealed = encryptSecretMap(key, { Authorization: 'Bearer t' }, 'c');
    expect(decryptSecretMap(key, sealed, 'c')).toEqual({ Authorization: 'Bearer t' });
    expect(decryptSecretMap(key, null, 'c')).toEqual({});
  });
  it('rejects keys of the wrong size', () => {
    expect(() => parseEncryptionKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(parseEncryptionKey(key.toString('base64')).equals(key)).toBe(true);
  });
});

describe('tokens', () => {
  it('issues distinct 256-bit tokens stored as hashes', () => {
    const a = issueToken('grant');
    const b = issueToken('grant');
    expect(a.token).not.toBe(b.token);
    expect(a.token.startsWith('pcg_')).toBe(true);
    expect(a.hash).toBe(hashToken(a.token));
    expect(a.hash).not.toContain(a.token.slice(4));
    expect(a.token.startsWith(a.prefix)).toBe(true);
    expect(looksLikeToken('grant', a.token)).toBe(true);
    expect(looksLikeToken('apiKey', a.token)).toBe(false);
  });
  it('matches only the right token', () => {
    const a = issueToken('apiKey');
    expect(tokenMatchesHash(a.token, a.hash)).toBe(true);
    expect(tokenMatchesHash(a.token + 'x', a.hash)).toBe(false);
    expect(tokenMatchesHash(a.token, 'abcd')).toBe(false);
  });
});

describe('canonical json', () => {
  it('is independent of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(
      '{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}',
    );
    expect(hashCanonical({ a: 1, b: 2 })).toBe(hashCanonical({ b: 2, a: 1 }));
    expect(hashCanonical({ a: 1 })).not.toBe(hashCanonical({ a: 2 }));
  });
  it('salted hashes link repeats but differ across salts', () => {
    expect(saltedValueHash('s1', 'hello')).toBe(saltedValueHash('s1', 'hello'));
    expect(saltedValueHash('s1', 'hello')).not.toBe(saltedValueHash('s2', 'hello'));
  });
});

describe('canonical json and prototype keys', () => {
  it('keeps a nested "__proto__" key, so it changes the hash', () => {
    const plain = JSON.parse('{"o":{}}');
    const poisoned = JSON.parse('{"o":{"__proto__":{"x":1}}}');
    expect(canonicalJson(poisoned)).toBe('{"o":{"__proto__":{"x":1}}}');
    expect(hashCanonical(poisoned)).not.toBe(hashCanonical(plain));
  });
});
