// Counts near 2^53 cannot travel as exact JS/JSON numbers (and ioredis 6 already rounds integer
// replies from 2^53 − 47 on): the Redis counters refuse them with a named error (409) instead of
// answering rounded, duplicated values, and Redis's own overflow error is that same error, not
// "Redis is not answering".
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { MAX_REDIS_COUNT, redisCounterKey, redisStorage, redisStrategy } from '../../src/counters/redis.js';
import { redisUnsafeCounterKey, redisUnsafeStrategy } from '../../src/counters/redis-unsafe.js';
import { createLab } from '../../src/lab.js';
import { withRedis } from '../../src/redis/client.js';
import { linkedChannels } from '../helpers/channels.js';
import { testRedis } from '../helpers/redis.js';

let prefixSeq = 0;
const freshPrefix = () => `unit-overflow-${process.pid}-${++prefixSeq}:`;

let admin: Redis;
beforeAll(() => {
  admin = testRedis();
});
afterAll(() => {
  admin.disconnect();
});

const counterOf = (strategy: typeof redisStrategy, prefix: string) =>
  strategy.createCounter({
    config: { ...defaultConfig(), redisPrefix: prefix, ioDelayMs: 0 },
    redis: admin,
    channel: linkedChannels().worker,
  });

describe.each([
  ['redis', redisStrategy, redisCounterKey],
  ['redis-unsafe', redisUnsafeStrategy, redisUnsafeCounterKey],
])('the %s counter near 2^53', (_name, strategy, keyOf) => {
  it('counts exactly up to its limit, then refuses with E_COUNTER_OVERFLOW', async () => {
    const prefix = freshPrefix();
    await admin.set(keyOf(prefix), String(MAX_REDIS_COUNT - 1));
    const counter = counterOf(strategy, prefix);
    expect(await counter.increment()).toBe(MAX_REDIS_COUNT);
    await expect(counter.increment()).rejects.toMatchObject({
      code: 'E_COUNTER_OVERFLOW',
      message: expect.stringContaining(keyOf(prefix)),
    });
    await expect(counter.increment()).rejects.toMatchObject({ code: 'E_COUNTER_OVERFLOW' });
  });

  it('never answers a value that was rounded on the way (2^53 − 9 reads as 2^53 − 8)', async () => {
    const prefix = freshPrefix();
    await admin.set(keyOf(prefix), String(2 ** 53 - 10));
    await expect(counterOf(strategy, prefix).increment()).rejects.toMatchObject({ code: 'E_COUNTER_OVERFLOW' });
    expect(await admin.get(keyOf(prefix))).toBe(strategy === redisStrategy ? '9007199254740983' : '9007199254740982');
  });

  it("turns Redis's own 64-bit overflow into E_COUNTER_OVERFLOW, not E_REDIS_DOWN", async () => {
    const prefix = freshPrefix();
    await admin.set(keyOf(prefix), '9223372036854775807');
    await expect(counterOf(strategy, prefix).increment()).rejects.toMatchObject({ code: 'E_COUNTER_OVERFLOW' });
  });
});

describe('withRedis', () => {
  it('tells an error Redis answered from a connection failure', async () => {
    const key = `${freshPrefix()}hash`;
    await admin.hset(key, 'a', '1');
    await expect(withRedis(admin, (redis) => redis.incr(key))).rejects.toMatchObject({
      code: 'E_REDIS_REPLY',
      message: expect.stringContaining('WRONGTYPE'),
    });
  });
});

describe('the primary reading a counter past 2^53', () => {
  it('reports it as unreadable rather than as a rounded number', async () => {
    const prefix = freshPrefix();
    await admin.set(redisCounterKey(prefix), '9007199254740993');
    expect(await redisStorage(admin, redisCounterKey(prefix)).read()).toBeNull();
  });
});

describe('GET /counter/redis past 2^53', () => {
  it('answers 409 E_COUNTER_OVERFLOW with what to do', async () => {
    const prefix = freshPrefix();
    await admin.set(redisCounterKey(prefix), String(MAX_REDIS_COUNT));
    const config = { ...defaultConfig(), redisPrefix: prefix };
    const lab = createLab({
      config,
      identity: { instance: 'test', id: 1, pid: 1 },
      redis: admin,
      channel: linkedChannels().worker,
    });
    const app = createApp({
      lab,
      clusterStats: async () => {
        throw new Error('not in this test');
      },
      metrics: async () => ({ text: '', contentType: 'text/plain' }),
    });
    const response = await app.request('/counter/redis');
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      error: 'E_COUNTER_OVERFLOW',
      message: expect.stringContaining('/admin/reset?shared=1'),
    });
  });
});
