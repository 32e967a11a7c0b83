import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { redisCounterKey, redisStrategy } from '../../src/counters/redis.js';
import { redisUnsafeCounterKey, redisUnsafeStrategy } from '../../src/counters/redis-unsafe.js';
import { createRedisClient } from '../../src/redis/client.js';
import { linkedChannels } from '../helpers/channels.js';
import { testRedis } from '../helpers/redis.js';

const createRedisCounter = ({ client, prefix }: { client: Redis | null; prefix: string }) =>
  redisStrategy.createCounter({
    config: { ...defaultConfig(), redisPrefix: prefix },
    redis: client,
    channel: linkedChannels().worker,
  });
const createRedisUnsafeCounter = ({
  client,
  prefix,
  ioDelayMs,
}: {
  client: Redis;
  prefix: string;
  ioDelayMs: number;
}) =>
  redisUnsafeStrategy.createCounter({
    config: { ...defaultConfig(), redisPrefix: prefix, ioDelayMs },
    redis: client,
    channel: linkedChannels().worker,
  });

// Each test gets its own key prefix: the unit project's redis-server is shared by its test files.
let prefixSeq = 0;
const freshPrefix = () => `unit-counter-${process.pid}-${++prefixSeq}:`;

let admin: Redis;
beforeAll(() => {
  admin = testRedis();
});
afterAll(() => {
  admin.disconnect();
});

describe('redis counter', () => {
  it('is exact under 200 concurrent INCRs from two clients', async () => {
    const prefix = freshPrefix();
    const clients = [admin.duplicate(), admin.duplicate()];
    const counters = clients.map((client) => createRedisCounter({ client, prefix }));
    const values = await Promise.all(
      Array.from({ length: 200 }, (_, index) => (counters[index % 2] ?? counters[0])?.increment()),
    );
    expect(new Set(values).size).toBe(200);
    expect(await admin.get(redisCounterKey(prefix))).toBe('200');
    for (const client of clients) client.disconnect();
  });

  it('answers E_REDIS_DISABLED with a hint when Redis is not configured', async () => {
    await expect(createRedisCounter({ client: null, prefix: '' }).increment()).rejects.toMatchObject({
      code: 'E_REDIS_DISABLED',
      message: expect.stringContaining('--redis-url'),
    });
  });

  it('fails fast with E_REDIS_DOWN when Redis is unreachable', async () => {
    const client = createRedisClient('redis://127.0.0.1:1', { name: 'unit-down' });
    client.on('error', () => {});
    const started = Date.now();
    await expect(createRedisCounter({ client, prefix: freshPrefix() }).increment()).rejects.toMatchObject({
      code: 'E_REDIS_DOWN',
    });
    // No offline queue, no retries: refused at once. The bound is a hang guard, not a timing.
    expect(Date.now() - started).toBeLessThan(10_000);
    client.disconnect();
  });
});

describe('redis-unsafe counter', () => {
  it('loses increments when GET and SET are split by an await', async () => {
    const prefix = freshPrefix();
    const counter = createRedisUnsafeCounter({ client: admin, prefix, ioDelayMs: 2 });
    await Promise.all(Array.from({ length: 50 }, () => counter.increment()));
    expect(Number(await admin.get(redisUnsafeCounterKey(prefix)))).toBeLessThan(50);
  });
});
