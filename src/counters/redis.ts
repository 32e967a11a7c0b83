// Redis INCR: one atomic command on one shared server, so every worker of every cluster on every
// machine counts together, and the count survives crashes and restarts (with persistence on).
// The price is a network round trip per increment; auto-pipelining packs concurrent ones together.
import type { Redis } from 'ioredis';
import { isRedisUp, withRedis } from '../redis/client.js';
import { type CounterStrategy, lastSeen, type SharedStorage } from './strategy.js';

export const redisCounterKey = (prefix: string): string => `${prefix}counter`;

/** A number kept at `key` in Redis, as the primary reads and resets it: a missing key is 0. */
export const redisStorage = (redis: Redis | null, key: string): SharedStorage => ({
  async read() {
    if (redis === null || !isRedisUp(redis)) return null;
    const text = await redis.get(key).catch(() => undefined);
    return text === undefined ? null : text === null ? 0 : Number(text);
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
      increment: async () => seen.record(await withRedis(redis, (client) => client.incr(key))),
      peek: seen.peek,
      reset: seen.reset,
    };
  },
  createStorage: ({ redis, config }) => redisStorage(redis, redisCounterKey(config.redisPrefix)),
};
