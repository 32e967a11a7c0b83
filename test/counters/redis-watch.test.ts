// The WATCH counter against a real redis-server: exact when several "workers" (clients) race, with
// the aborts counted and each answer's retries told; a retry budget that runs out is a named error
// and writes nothing; and its transactions never mix with what else the worker's shared,
// auto-pipelined connection carries.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { MAX_REDIS_COUNT, redisCounterKey, redisStrategy } from '../../src/counters/redis.js';
import { createRedisWatchCounter, redisWatchCounterKey } from '../../src/counters/redis-watch.js';
import type { Counter } from '../../src/counters/strategy.js';
import { connectRedis, createRedisClient } from '../../src/redis/client.js';
import { linkedChannels } from '../helpers/channels.js';
import { testRedis } from '../helpers/redis.js';

let prefixSeq = 0;
const freshPrefix = () => `unit-watch-${process.pid}-${++prefixSeq}:`;

let admin: Redis;
const clients: Redis[] = [];
beforeAll(() => {
  admin = testRedis();
});
afterAll(() => {
  for (const client of clients) client.disconnect();
  admin.disconnect();
});

/** A worker's connection as the lab makes it: auto-pipelined, no offline queue. */
const workerClient = async (name = 'unit-watch'): Promise<Redis> => {
  const client = createRedisClient(inject('redisUrl'), { name });
  client.on('error', () => {});
  clients.push(client);
  expect(await connectRedis(client)).toBe(true);
  return client;
};

const details = async (counter: Counter) => {
  if (counter.incrementWithDetails === undefined) throw new Error('redis-watch answers with details');
  return counter.incrementWithDetails();
};

describe('the redis-watch counter', () => {
  it('is exact under 150 concurrent increments from three workers, and counts its aborts', async () => {
    const prefix = freshPrefix();
    const key = redisWatchCounterKey(prefix);
    const counters = await Promise.all(
      [0, 1, 2].map(async () => createRedisWatchCounter({ redis: await workerClient(), key })),
    );
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, index) => details(counters[index % 3] as Counter)),
    );
    expect(new Set(answers.map((answer) => answer.value)).size).toBe(150);
    expect(await admin.get(key)).toBe('150');
    const aborts = counters.reduce((sum, counter) => sum + (counter.stats?.().aborts ?? 0), 0);
    const retries = answers.reduce((sum, answer) => sum + Number(answer.extra.retries), 0);
    // Three connections racing on one key: most rounds have a loser, and each loss is one retry.
    expect(aborts).toBeGreaterThan(0);
    expect(retries).toBe(aborts);
  });

  it('ends a spent retry budget in E_CONTENTION and writes nothing for it', async () => {
    const prefix = freshPrefix();
    const key = redisWatchCounterKey(prefix);
    const counters = await Promise.all(
      [0, 1, 2, 3].map(async () => createRedisWatchCounter({ redis: await workerClient(), key, maxAttempts: 1 })),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, index) => (counters[index % 4] as Counter).increment()),
    );
    const done = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) {
      expect(result.reason).toMatchObject({ code: 'E_CONTENTION', message: expect.stringContaining('1 attempts') });
    }
    // Every answer is a write, every refusal is none: the count is the number of answers.
    expect(Number(await admin.get(key))).toBe(done.length);
    const gaveUp = counters.reduce((sum, counter) => sum + (counter.stats?.().gave_up ?? 0), 0);
    expect(gaveUp).toBe(refused.length);
  });

  it('keeps its transactions apart from the INCRs on the same worker connection', async () => {
    const prefix = freshPrefix();
    const client = await workerClient();
    const config = { ...defaultConfig(), redisPrefix: prefix };
    const watch = createRedisWatchCounter({ redis: client, key: redisWatchCounterKey(prefix) });
    const other = createRedisWatchCounter({ redis: await workerClient(), key: redisWatchCounterKey(prefix) });
    const incr = redisStrategy.createCounter({ config, redis: client, channel: linkedChannels().worker });
    await Promise.all(Array.from({ length: 201 }, (_, index) => [watch, other, incr][index % 3]?.increment()));
    expect(await admin.get(redisWatchCounterKey(prefix))).toBe('134');
    expect(await admin.get(redisCounterKey(prefix))).toBe('67');
  });

  it('refuses past the exact limit and a value that is not an integer, writing nothing', async () => {
    const prefix = freshPrefix();
    const key = redisWatchCounterKey(prefix);
    const counter = createRedisWatchCounter({ redis: await workerClient(), key });
    await admin.set(key, String(MAX_REDIS_COUNT - 1));
    expect(await counter.increment()).toBe(MAX_REDIS_COUNT);
    await expect(counter.increment()).rejects.toMatchObject({ code: 'E_COUNTER_OVERFLOW' });
    await admin.set(key, 'twelve');
    await expect(counter.increment()).rejects.toMatchObject({ code: 'E_REDIS_REPLY' });
    expect(await admin.get(key)).toBe('twelve');
  });

  it('answers E_REDIS_DOWN at once when its worker is not connected to Redis', async () => {
    const down = createRedisClient('redis://127.0.0.1:1', { name: 'unit-watch-down' });
    down.on('error', () => {});
    clients.push(down);
    const started = performance.now();
    await expect(createRedisWatchCounter({ redis: down, key: 'k' }).increment()).rejects.toMatchObject({
      code: 'E_REDIS_DOWN',
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('answers E_REDIS_DISABLED without Redis, and closes its own connection with the worker one', async () => {
    await expect(createRedisWatchCounter({ redis: null, key: 'k' }).increment()).rejects.toMatchObject({
      code: 'E_REDIS_DISABLED',
    });
    const name = `unit-watch-close-${process.pid}`;
    const client = await workerClient(name);
    const counter = createRedisWatchCounter({ redis: client, key: redisWatchCounterKey(freshPrefix()) });
    await counter.increment();
    const dedicated = async () =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${name}:dedicated`)).length;
    expect(await dedicated()).toBe(1);
    client.disconnect();
    await expect.poll(dedicated, { timeout: 5000 }).toBe(0);
  });
});
