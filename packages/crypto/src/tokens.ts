// Bearer credentials (grant tokens, API keys, invitation and e-mail verification secrets): 256 random bits, shown once,
// stored only as SHA-256 hashes. A fast hash is right here: the secrets are random, not passwords.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenKind =
  | 'grant'
  | 'apiKey'
  | 'invitation'
  | 'emailVerification'
  | 'oauthCode'
  | 'oauthAccess'
  | 'oauthRefresh'
  | 'oauthClient'
  | 'upstreamState';
const PREFIX: Record<TokenKind, string> = {
  grant: 'pcg_',
  apiKey: 'pck_',
  invitation: 'pci_',
  emailVerification: 'pcv_',
  // MCP authorization (docs/oauth.md): codes, access and refresh tokens; registered client ids.
  oauthCode: 'pco_',
  oauthAccess: 'pca_',
  oauthRefresh: 'pcr_',
  oauthClient: 'pcc_',
  // The state of an upstream connect flow (docs/upstream-oauth.md), bound to the signed-in user.
  upstreamState: 'pcs_',
};
const VISIBLE_CHARS = 8;

export interface IssuedToken {
  token: string;
  hash: string;
  /** Safe to show in lists: the kind prefix plus a few characters. */
  prefix: string;
}

export function issueToken(kind: TokenKind): IssuedToken {
  const token = PREFIX[kind] + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token), prefix: token.slice(0, PREFIX[kind].length + VISIBLE_CHARS) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatchesHash(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function looksLikeToken(kind: TokenKind, value: string): boolean {
  return value.startsWith(PREFIX[kind]) && /^[A-Za-z0-9_-]{40,80}$/.test(value);
}
