import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** A plain client to the test project's redis-server, for arranging and checking state. */
export const testRedis = (): Redis => new Redis(inject('redisUrl'), { lazyConnect: false, maxRetriesPerRequest: 1 });
