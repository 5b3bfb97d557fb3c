// Secrets at rest (upstream headers and env): AES-256-GCM, bound to where they are stored through
// additional authenticated data, so a ciphertext copied to another row or tenant fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export function parseEncryptionKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('PORTCULLIS_ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return key;
}

export function encryptSecret(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    VERSION,
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

export function decryptSecret(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Unrecognised secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** Context string for a server's secret field: binds ciphertext to org, server and field. */
export function serverSecretContext(
  organizationId: string,
  serverId: string,
  field: 'headers' | 'env',
): string {
  return `portcullis:server-secret:${organizationId}:${serverId}:${field}`;
}

export function encryptSecretMap(key: Buffer, values: Record<string, string>, context: string): string {
  return encryptSecret(key, JSON.stringify(values), context);
}

export function decryptSecretMap(
  key: Buffer,
  sealed: string | null | undefined,
  context: string,
): Record<string, string> {
  if (!sealed) return {};
  const parsed: unknown = JSON.parse(decryptSecret(key, sealed, context));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('Secret map is not an object');
  return parsed as Record<string, string>;
}

/** Context for an upstream OAuth client secret (pre-registered or from dynamic registration). */
export function upstreamClientSecretContext(organizationId: string, serverId: string): string {
  return `portcullis:upstream-oauth-client:${organizationId}:${serverId}`;
}

/**
 * Context for an upstream connection's token: binds the ciphertext to organization, server and
 * subject ("shared" or a user id), so a token copied to another user's row fails to open.
 */
export function upstreamTokenContext(
  organizationId: string,
  serverId: string,
  subject: string,
  field: 'access' | 'refresh' | 'verifier',
): string {
  return `portcullis:upstream-token:${organizationId}:${serverId}:${subject}:${field}`;
}
