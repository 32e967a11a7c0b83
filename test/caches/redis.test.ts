import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readThrough } from '../../src/caches/cache.js';
import { createDatabase } from '../../src/caches/database.js';
import { createRedisCache, userKey } from '../../src/caches/redis.js';
import { createRedisClient } from '../../src/redis/client.js';
import { testRedis } from '../helpers/redis.js';

let admin: Redis;
beforeAll(() => {
  admin = testRedis();
});
afterAll(() => {
  admin.disconnect();
});

const setup = (client: Redis | null, prefix: string, ttlS = 600) => {
  const db = createDatabase({ delayMs: 0 });
  const counts = { hits: 0, misses: 0, bypassed: 0 };
  const cache = createRedisCache({ client, prefix, ttlS });
  return { db, counts, lookup: (id: number) => readThrough(cache, counts, db, id) };
};

describe('redis cache', () => {
  it('writes user:<id> as JSON with SETEX and answers the next lookup as redis_cache', async () => {
    const prefix = `unit-cache-${process.pid}-a:`;
    const { db, lookup } = setup(admin, prefix, 600);
    expect((await lookup(9)).source).toBe('database');
    expect(await lookup(9)).toEqual({ source: 'redis_cache', data: { user_id: 9, name: 'User_9' }, bypassed: false });
    expect(db.calls).toBe(1);
    expect(JSON.parse((await admin.get(userKey(prefix, 9))) ?? '')).toEqual({ user_id: 9, name: 'User_9' });
    const ttl = await admin.ttl(userKey(prefix, 9));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('treats a foreign value under its key as a miss', async () => {
    const prefix = `unit-cache-${process.pid}-b:`;
    await admin.set(userKey(prefix, 3), 'not json');
    const { lookup } = setup(admin, prefix);
    expect((await lookup(3)).source).toBe('database');
    expect((await lookup(3)).source).toBe('redis_cache');
  });

  it('fails open to the database when Redis is down', async () => {
    const client = createRedisClient('redis://127.0.0.1:1', { name: 'unit-down' });
    client.on('error', () => {});
    const { db, counts, lookup } = setup(client, 'x:');
    expect(await lookup(1)).toEqual({ source: 'database', data: { user_id: 1, name: 'User_1' }, bypassed: true });
    expect(db.calls).toBe(1);
    expect(counts.bypassed).toBe(1);
    client.disconnect();
  });

  it('answers E_REDIS_DISABLED when Redis is not configured (no silent fallback)', async () => {
    const { lookup } = setup(null, '');
    await expect(lookup(1)).rejects.toMatchObject({ code: 'E_REDIS_DISABLED' });
  });
});
