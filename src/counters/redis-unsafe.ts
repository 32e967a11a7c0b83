// Shared is not the same as atomic: GET, await, SET on the same Redis key. Every worker reads the
// same value during the others' awaits and writes it back plus one, so increments are lost across
// workers, exactly as the in-memory unsafe counter loses them inside one.
import { sleep } from '../sleep.js';
import { counterOverflow, exactCount, MAX_REDIS_COUNT, redisStorage } from './redis.js';
import { type CounterStrategy, lastSeen } from './strategy.js';

export const redisUnsafeCounterKey = (prefix: string): string => `${prefix}counter:unsafe`;

export const redisUnsafeStrategy: CounterStrategy = {
  name: 'redis-unsafe',
  scope: 'fleet',
  exact: false,
  survives: { crash: true, restart: true },
  summary: 'Redis GET, await, SET: shared, but not atomic',
  createCounter: ({ redis, config }) => {
    const key = redisUnsafeCounterKey(config.redisPrefix);
    const seen = lastSeen();
    return {
      name: 'redis-unsafe',
      increment: async () =>
        seen.record(
          await exactCount(redis, key, async (client) => {
            const read = Number((await client.get(key)) ?? 0);
            if (!(read < MAX_REDIS_COUNT)) throw counterOverflow(key);
            await sleep(config.ioDelayMs);
            await client.set(key, String(read + 1));
            return read + 1;
          }),
        ),
      peek: seen.peek,
      reset: seen.reset,
    };
  },
  createStorage: ({ redis, config }) => redisStorage(redis, redisUnsafeCounterKey(config.redisPrefix)),
};
