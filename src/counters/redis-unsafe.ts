// Shared is not the same as atomic: GET, await, SET on the same Redis key. Every worker reads the
// same value during the others' awaits and writes it back plus one, so increments are lost across
// workers, exactly as the in-memory unsafe counter loses them inside one.

import { withRedis } from '../redis/client.js';
import { type Counter, sleep } from './counter.js';
import type { RedisCounterOptions } from './redis.js';

export const redisUnsafeCounterKey = (prefix: string): string => `${prefix}counter:unsafe`;

export const createRedisUnsafeCounter = ({
  client,
  prefix,
  ioDelayMs,
}: RedisCounterOptions & { ioDelayMs: number }): Counter => {
  const key = redisUnsafeCounterKey(prefix);
  let lastSeen: number | null = null;
  return {
    name: 'redis-unsafe',
    async increment() {
      lastSeen = await withRedis(client, async (redis) => {
        const read = Number((await redis.get(key)) ?? 0);
        await sleep(ioDelayMs);
        await redis.set(key, String(read + 1));
        return read + 1;
      });
      return lastSeen;
    },
    peek: () => lastSeen,
    reset: () => {
      lastSeen = null;
    },
  };
};
