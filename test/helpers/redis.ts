import type { Redis as RedisClient } from 'ioredis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';

/** A plain client to the test project's redis-server, for arranging and checking state. */
export const testRedis = (): RedisClient =>
  new Redis(inject('redisUrl'), { lazyConnect: false, maxRetriesPerRequest: 1 });

/**
 * For a test file that owns the project's Redis while it runs: one client for the file, and an
 * empty database before every test. Returns a getter, since the client exists only once the file runs.
 */
export const useFlushedRedis = (): (() => RedisClient) => {
  let client: RedisClient | undefined;
  beforeAll(() => {
    client = testRedis();
  });
  afterAll(() => {
    client?.disconnect();
  });
  beforeEach(async () => {
    await client?.flushdb();
  });
  return () => {
    if (client === undefined) throw new Error('useFlushedRedis: the client exists only inside tests.');
    return client;
  };
};
