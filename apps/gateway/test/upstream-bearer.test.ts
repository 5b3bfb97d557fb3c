// The bearer token of one upstream connection (sessions/upstream-auth.ts): a 401 for a token already
// replaced does not spend another refresh; a refused refresh drops the token and says where to connect.
import { describe, expect, it } from 'vitest';
import type { TokenLookup } from '@portcullis/catalog/upstream-tokens';
import { NeedsConnectionError } from '../src/errors.ts';
import { UpstreamAuth, UpstreamBearer } from '../src/sessions/upstream-auth.ts';
import type { ServerState } from '../src/state/server-state.ts';

const state = {
  server: {
    id: 'srv1',
    name: 'Notes',
    organizationId: 'org1',
    organizationSlug: 'acme',
    oauth: { connectionMode: 'per_user' },
  },
} as unknown as ServerState;

function authAnswering(answers: TokenLookup[]) {
  const asked: Array<string | undefined> = [];
  const tokens = {
    token: async (_org: string, _server: string, _subject: string | null, rejected?: string) => {
      asked.push(rejected);
      return answers.shift()!;
    },
  };
  const auth = new UpstreamAuth(tokens as never, 'http://dash.test', { info: () => undefined } as never);
  return { auth, asked };
}

describe('UpstreamBearer', () => {
  it('refreshes for the token a request was refused with, once; a late 401 for the old token uses the new one', async () => {
    const { auth, asked } = authAnswering([
      { ok: true, connectionId: 'c', accessToken: 'second', expiresAt: null },
      { ok: true, connectionId: 'c', accessToken: 'third', expiresAt: null },
    ]);
    const bearer = new UpstreamBearer(auth, state, 'user1', 'first', null);
    expect(bearer.header()).toBe('Bearer first');
    await Promise.all([bearer.refresh('first'), bearer.refresh('first')]);
    expect(bearer.header()).toBe('Bearer second');
    // A request that went out with 'first' and was refused after the refresh finished.
    await bearer.refresh('first');
    expect(asked).toEqual(['first']);
    await bearer.refresh('second');
    expect(asked).toEqual(['first', 'second']);
    expect(bearer.current).toBe('third');
  });

  it('a refused refresh drops the token and names the connect page', async () => {
    const { auth } = authAnswering([{ ok: false, reason: 'needs_reconnect' }]);
    const bearer = new UpstreamBearer(auth, state, 'user1', 'first', null);
    const error = await bearer.refresh('first').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsConnectionError);
    expect((error as Error).message).toContain('http://dash.test/o/acme/connections?server=srv1');
    expect((error as Error).message).toContain('reconnected');
    expect(bearer.header()).toBeUndefined();
    expect(bearer.stale()).toBe(true);
  });

  it('is stale within a minute of expiry', () => {
    const { auth } = authAnswering([]);
    expect(new UpstreamBearer(auth, state, 'u', 't', new Date(Date.now() + 30_000)).stale()).toBe(true);
    expect(new UpstreamBearer(auth, state, 'u', 't', new Date(Date.now() + 600_000)).stale()).toBe(false);
    expect(new UpstreamBearer(auth, state, 'u', 't', null).stale()).toBe(false);
  });
});
