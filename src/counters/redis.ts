// Redis INCR: one atomic command on one shared server, so every worker of every cluster on every
// machine counts together, and the count survives crashes and restarts (with persistence on).
// The price is a network round trip per increment; auto-pipelining packs concurrent ones together.
import type { Redis } from 'ioredis';
import { AppError, isAppError } from '../errors.js';
import { isRedisUp, withRedis } from '../redis/client.js';
import { type CounterStrategy, lastSeen, type SharedStorage } from './strategy.js';

export const redisCounterKey = (prefix: string): string => `${prefix}counter`;

/**
 * The largest count the Redis counters answer with. Redis counts to 2^63 − 1, but a JS (and JSON)
 * number rounds past 2^53 − 1, and ioredis 6 decodes an integer reply as `n * 10 + byte − 48`, whose
 * sum already rounds from 2^53 − 47 on (9007199254740983 is read as …984). Every reply up to this
 * limit is decoded exactly, and a rounded one always lands above it, so the check below is sound.
 */
export const MAX_REDIS_COUNT = Number.MAX_SAFE_INTEGER - 48;

/** Past MAX_REDIS_COUNT the count is refused rather than answered rounded (duplicated). */
export const counterOverflow = (key: string, cause?: unknown): AppError =>
  new AppError(
    'E_COUNTER_OVERFLOW',
    `The Redis counter \`${key}\` is past ${MAX_REDIS_COUNT} (2^53 − 49), the largest count the lab reads and answers exactly; reset it with POST /admin/reset?shared=1 (or DEL ${key}).`,
    { cause },
  );

/** Run a counter's Redis operation and hand back its value only when it is exact (see MAX_REDIS_COUNT). */
export const exactCount = async (redis: Redis | null, key: string, operation: (client: Redis) => Promise<number>) => {
  let value: number;
  try {
    value = await withRedis(redis, operation);
  } catch (error) {
    // Redis's own overflow (INCR at 2^63 − 1) is the same story, told with the key.
    if (isAppError(error) && error.code === 'E_COUNTER_OVERFLOW') throw counterOverflow(key, error);
    throw error;
  }
  if (!Number.isSafeInteger(value) || value > MAX_REDIS_COUNT) throw counterOverflow(key);
  return value;
};

/** A number kept at `key` in Redis, as the primary reads and resets it: a missing key is 0. */
export const redisStorage = (redis: Redis | null, key: string): SharedStorage => ({
  async read() {
    if (redis === null || !isRedisUp(redis)) return null;
    const text = await redis.get(key).catch(() => undefined);
    if (text === undefined) return null;
    // Past the counters' limit (or not a number at all) it cannot be shown exactly: unreadable, not rounded.
    const value = text === null ? 0 : Number(text);
    return Number.isSafeInteger(value) && value <= MAX_REDIS_COUNT ? value : null;
  },
  async reset() {
    await redis?.del(key);
  },
});

export const redisStrategy: CounterStrategy = {
  name: 'redis',
  scope: 'fleet',
  exact: true,
  survives: { crash: true, restart: true },
  summary: 'Redis INCR: one atomic command on a server every cluster can share',
  createCounter: ({ redis, config }) => {
    const key = redisCounterKey(config.redisPrefix);
    const seen = lastSeen();
    return {
      name: 'redis',
      increment: async () => seen.record(await exactCount(redis, key, (client) => client.incr(key))),
      peek: seen.peek,
      reset: seen.reset,
    };
  },
  createStorage: ({ redis, config }) => redisStorage(redis, redisCounterKey(config.redisPrefix)),
};
