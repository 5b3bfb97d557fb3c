// The `requestState` a modern (MCP 2026-07-28) client echoes back on the next leg of a multi-round-trip
// request. It names a held exchange on one replica and is bound to the grant and the request it
// belongs to; an HMAC (key derived from the gateway's encryption key) makes it unforgeable. Its
// content is not secret (an id, a grant id, a method), only its integrity matters. Everything an
// agent echoes is hostile: length, encoding and shape are checked before the signature is.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface RequestStateClaim {
  /** The held exchange's id on the replica that issued the state. */
  exchangeId: string;
  grantId: string;
  method: string;
  /** The tool or prompt name, or resource URI, of the request (bounded; empty when the method has none). */
  target: string;
  /** When the state stops being accepted (ms since the epoch). */
  expiresAt: number;
}

const VERSION = 'pc1';
/** Longest requestState accepted from an agent. */
export const MAX_REQUEST_STATE_CHARS = 2048;
const TARGET_CHARS = 512;

export class RequestStateCodec {
  private readonly key: Buffer;

  constructor(encryptionKey: Buffer) {
    // A key of its own, so a state can never double as any other signed value of the gateway's.
    this.key = createHmac('sha256', encryptionKey).update('portcullis/modern-request-state/v1').digest();
  }

  encode(claim: RequestStateClaim): string {
    const payload = Buffer.from(
      JSON.stringify([
        claim.exchangeId,
        claim.grantId,
        claim.method,
        claim.target.slice(0, TARGET_CHARS),
        claim.expiresAt,
      ]),
      'utf8',
    ).toString('base64url');
    return `${VERSION}.${payload}.${this.sign(payload)}`;
  }

  /** The claim, or why the state is refused (a sentence for the agent). */
  decode(
    state: unknown,
    now = Date.now(),
  ): { ok: true; claim: RequestStateClaim } | { ok: false; reason: string } {
    if (typeof state !== 'string') return { ok: false, reason: 'requestState must be a string' };
    if (state.length > MAX_REQUEST_STATE_CHARS)
      return { ok: false, reason: `requestState is longer than ${MAX_REQUEST_STATE_CHARS} characters` };
    const parts = state.split('.');
    if (
      parts.length !== 3 ||
      parts[0] !== VERSION ||
      !/^[A-Za-z0-9_-]+$/.test(parts[1]!) ||
      !/^[A-Za-z0-9_-]+$/.test(parts[2]!)
    ) {
      return { ok: false, reason: 'requestState was not issued by this gateway' };
    }
    const expected = Buffer.from(this.sign(parts[1]!), 'utf8');
    const given = Buffer.from(parts[2]!, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { ok: false, reason: 'requestState was not issued by this gateway (bad signature)' };
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'requestState is malformed' };
    }
    if (!Array.isArray(fields) || fields.length !== 5)
      return { ok: false, reason: 'requestState is malformed' };
    const [exchangeId, grantId, method, target, expiresAt] = fields as unknown[];
    if (
      typeof exchangeId !== 'string' ||
      typeof grantId !== 'string' ||
      typeof method !== 'string' ||
      typeof target !== 'string' ||
      typeof expiresAt !== 'number'
    ) {
      return { ok: false, reason: 'requestState is malformed' };
    }
    if (expiresAt < now)
      return { ok: false, reason: 'requestState has expired; send the request again without requestState' };
    return { ok: true, claim: { exchangeId, grantId, method, target, expiresAt } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(`${VERSION}.${payload}`).digest('base64url');
  }
}
