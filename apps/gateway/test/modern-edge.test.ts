// The modern era's edge pieces on their own: Mcp-Name value decoding, the params a legacy upstream
// is sent, and the signed requestState (tampering, expiry, hostile sizes).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { completeResult, decodeHeaderValue, legacyParams } from '../src/modern/modern-era.ts';
import { RequestStateCodec } from '../src/modern/request-state.ts';

describe('Mcp-Name values', () => {
  it('passes plain values and decodes only canonical Base64 of valid UTF-8', () => {
    expect(decodeHeaderValue('get_tweet')).toBe('get_tweet');
    expect(decodeHeaderValue(`=?base64?${Buffer.from('héllo wörld').toString('base64')}?=`)).toBe(
      'héllo wörld',
    );
    expect(decodeHeaderValue('=?base64?not base64?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?YQ?=')).toBeUndefined(); // unpadded
    expect(decodeHeaderValue(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`)).toBeUndefined(); // not UTF-8
  });
});

describe('legacy params', () => {
  it('drops the modern envelope and the multi-round-trip fields, keeps the rest of _meta', () => {
    const params = {
      name: 't',
      arguments: { a: 1 },
      inputResponses: { x: {} },
      requestState: 's',
      _meta: {
        progressToken: 7,
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
        'vendor/x': 1,
      },
    };
    expect(legacyParams(params)).toEqual({
      name: 't',
      arguments: { a: 1 },
      _meta: { progressToken: 7, 'vendor/x': 1 },
    });
    expect(legacyParams({ _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } })).toEqual({});
  });

  it('marks results complete, lists private and uncached, and stamps serverInfo without losing _meta', () => {
    const info = { name: 'up', version: '1' };
    expect(
      completeResult('tools/list', { tools: [{ name: 'a', execution: { taskSupport: 'optional' } }] }, info),
    ).toEqual({
      tools: [{ name: 'a' }],
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: { 'io.modelcontextprotocol/serverInfo': info },
    });
    const call = completeResult(
      'tools/call',
      { content: [], _meta: { 'portcullis/decision': { effect: 'deny' } } },
      info,
    );
    expect(call).toEqual({
      content: [],
      resultType: 'complete',
      _meta: { 'portcullis/decision': { effect: 'deny' }, 'io.modelcontextprotocol/serverInfo': info },
    });
  });
});

describe('requestState', () => {
  const codec = new RequestStateCodec(randomBytes(32));
  const claim = {
    exchangeId: 'e1',
    grantId: 'g1',
    method: 'tools/call',
    target: 'get_tweet',
    expiresAt: Date.now() + 60_000,
  };

  it('round-trips what it issued', () => {
    expect(codec.decode(codec.encode(claim))).toEqual({ ok: true, claim });
  });

  it('refuses a state signed with another key, tampered, expired, or hostile in shape', () => {
    const state = codec.encode(claim);
    expect(new RequestStateCodec(randomBytes(32)).decode(state)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('bad signature'),
    });
    const [v, payload, sig] = state.split('.');
    const forged = Buffer.from(
      JSON.stringify(['e1', 'g2', 'tools/call', 'get_tweet', claim.expiresAt]),
    ).toString('base64url');
    expect(codec.decode(`${v}.${forged}.${sig}`)).toMatchObject({ ok: false });
    expect(codec.decode(`${v}.${payload}.${sig}x`)).toMatchObject({ ok: false });
    expect(codec.decode(codec.encode({ ...claim, expiresAt: Date.now() - 1 }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('expired'),
    });
    expect(codec.decode(42)).toMatchObject({ ok: false, reason: 'requestState must be a string' });
    expect(codec.decode('a'.repeat(3000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('longer than'),
    });
    expect(codec.decode('pc1.!!.??')).toMatchObject({ ok: false });
  });
});
