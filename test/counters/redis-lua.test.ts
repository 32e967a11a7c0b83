// The Lua counter against a real redis-server: exact when several "workers" race, sent as EVALSHA
// once the script is loaded, loaded again by itself after the script cache is emptied (what a
// restarted Redis has), and refusing what it cannot count exactly.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { MAX_REDIS_COUNT } from '../../src/counters/redis.js';
import { redisLuaCounterKey, redisLuaStrategy } from '../../src/counters/redis-lua.js';
import { connectRedis, createRedisClient } from '../../src/redis/client.js';
import { linkedChannels } from '../helpers/channels.js';
import { testRedis } from '../helpers/redis.js';

let prefixSeq = 0;
const freshPrefix = () => `unit-lua-${process.pid}-${++prefixSeq}:`;

let admin: Redis;
const clients: Redis[] = [];
beforeAll(() => {
  admin = testRedis();
});
afterAll(() => {
  for (const client of clients) client.disconnect();
  admin.disconnect();
});

const luaCounter = async (prefix: string) => {
  const client = createRedisClient(inject('redisUrl'), { name: 'unit-lua' });
  client.on('error', () => {});
  clients.push(client);
  expect(await connectRedis(client)).toBe(true);
  return redisLuaStrategy.createCounter({
    config: { ...defaultConfig(), redisPrefix: prefix },
    redis: client,
    channel: linkedChannels().worker,
  });
};

/** How many times Redis has run a command since it started (INFO commandstats). */
const calls = async (command: string): Promise<number> => {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
};

describe('the redis-lua counter', () => {
  it('is exact under 300 concurrent increments from three workers', async () => {
    const prefix = freshPrefix();
    const counters = await Promise.all([0, 1, 2].map(() => luaCounter(prefix)));
    const values = await Promise.all(Array.from({ length: 300 }, (_, index) => counters[index % 3]?.increment()));
    expect(new Set(values).size).toBe(300);
    expect(Math.max(...(values as number[]))).toBe(300);
    expect(await admin.get(redisLuaCounterKey(prefix))).toBe('300');
  });

  it('sends the script once, then its SHA1; after SCRIPT FLUSH it loads it again by itself', async () => {
    const counter = await luaCounter(freshPrefix());
    await counter.increment();
    const evalshaBefore = await calls('evalsha');
    for (let call = 0; call < 20; call += 1) await counter.increment();
    // Other test files may run scripts too: at least ours were EVALSHA.
    expect((await calls('evalsha')) - evalshaBefore).toBeGreaterThanOrEqual(20);
    await admin.script('FLUSH');
    expect(await counter.increment()).toBe(22);
    expect(await counter.increment()).toBe(23);
  });

  it('refuses past the exact limit and a value that is not an integer, writing nothing', async () => {
    const prefix = freshPrefix();
    const key = redisLuaCounterKey(prefix);
    const counter = await luaCounter(prefix);
    await admin.set(key, String(MAX_REDIS_COUNT - 1));
    expect(await counter.increment()).toBe(MAX_REDIS_COUNT);
    await expect(counter.increment()).rejects.toMatchObject({
      code: 'E_COUNTER_OVERFLOW',
      message: expect.stringContaining(key),
    });
    expect(await admin.get(key)).toBe(String(MAX_REDIS_COUNT));
    await admin.set(key, '1.5');
    await expect(counter.increment()).rejects.toMatchObject({ code: 'E_REDIS_REPLY' });
    expect(await admin.get(key)).toBe('1.5');
  });
});
