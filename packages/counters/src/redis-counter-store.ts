// Sliding-window counters in Redis: one sorted set per key (score = time of the call, member =
// reservation id), checked and filled by a single Lua script so replicas never race.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  mergeCountersByKey,
  ReservationStates,
  type CounterStore,
  type KeyedCounter,
  type Reservation,
  type ReserveResult,
} from './counter-store.ts';

// KEYS: counter keys. ARGV[1]: now in ms, or '' to use the Redis clock; ARGV[2]: reservation id;
// then windowMs, max for each key. Checks every key before adding to any, so it is all-or-nothing.
// An entry counts while its score > now - window. When full, the entry whose expiry frees a slot
// is the (count - max)-th oldest. Returns {ok, failingIndex, retryAfterMs, now}.
const RESERVE_SCRIPT = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
for i = 1, #KEYS do
  local window = tonumber(ARGV[1 + 2 * i])
  local max = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= max then
    local blocking = redis.call('ZRANGE', KEYS[i], count - max, count - max, 'WITHSCORES')
    return {0, i, tonumber(blocking[2]) + window - now, now}
  end
end
for i = 1, #KEYS do
  local window = tonumber(ARGV[1 + 2 * i])
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  if redis.call('PTTL', KEYS[i]) < window then redis.call('PEXPIRE', KEYS[i], window) end
end
return {1, 0, 0, now}
`;

export interface RedisCounterStoreOptions {
  /** A connection URL (the store owns and closes the connection) or an existing client (the caller closes it). */
  redis: string | Redis;
  /** Prepended to every key; default `portcullis:counter:`. */
  keyPrefix?: string;
}

type ReserveCommand = (
  numKeys: number,
  ...keysAndArgs: Array<string | number>
) => Promise<[number, number, number, number]>;

export class RedisCounterStore implements CounterStore {
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly keyPrefix: string;
  private readonly states = new ReservationStates();

  constructor(options: RedisCounterStoreOptions) {
    this.ownsConnection = typeof options.redis === 'string';
    this.redis =
      typeof options.redis === 'string' ? new Redis(options.redis, { lazyConnect: false }) : options.redis;
    this.keyPrefix = options.keyPrefix ?? 'portcullis:counter:';
    // defineCommand sends EVALSHA and falls back to EVAL when the script cache was flushed.
    this.redis.defineCommand('portcullisReserveCounters', { lua: RESERVE_SCRIPT });
  }

  async reserve<C extends KeyedCounter>(counters: readonly C[], now?: number): Promise<ReserveResult<C>> {
    const merged = mergeCountersByKey(counters);
    const id = randomUUID();
    if (merged.length === 0) return { ok: true, reservation: { id, entries: [], at: now ?? Date.now() } };
    const keys = merged.map((c) => this.keyPrefix + c.key);
    const args = merged.flatMap((c) => [c.windowMs, c.max]);
    const reserveCommand = (this.redis as unknown as { portcullisReserveCounters: ReserveCommand })
      .portcullisReserveCounters;
    const [ok, failing, retryAfterMs, at] = await reserveCommand.call(
      this.redis,
      keys.length,
      ...keys,
      now === undefined ? '' : Math.floor(now),
      id,
      ...args,
    );
    if (ok !== 1)
      return { ok: false, counter: merged[failing - 1]!.source, retryAfterMs: Math.max(1, retryAfterMs) };
    return { ok: true, reservation: { id, entries: keys.map((key) => ({ key, member: id })), at } };
  }

  async commit(reservation: Reservation): Promise<void> {
    this.states.settle(reservation);
  }

  async release(reservation: Reservation): Promise<void> {
    if (!this.states.settle(reservation) || reservation.entries.length === 0) return;
    try {
      const pipeline = this.redis.multi();
      for (const entry of reservation.entries) pipeline.zrem(entry.key, entry.member);
      const replies = await pipeline.exec();
      // exec resolves with per-command errors rather than throwing them.
      const failed = replies?.find(([error]) => error);
      if (!replies || failed) throw failed?.[0] ?? new Error('release: the transaction was discarded');
    } catch (error) {
      this.states.unsettle(reservation);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit();
  }
}
