// A reset with ?shared=1 empties the Redis cache too: the cache's keys (caches/redis.ts writes
// `<prefix>user:<id>`) are found with SCAN, never KEYS (which would stall a shared Redis), and
// removed with UNLINK (freed in the background). Only this lab's prefix is touched.
import type { Redis } from 'ioredis';
import { withRedis } from '../redis/client.js';

const SCAN_COUNT = 500;

/** A prefix as a literal in a SCAN MATCH pattern. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** Delete every Redis cache entry under `prefix`; resolves to how many were deleted. */
export const clearRedisCache = async (redis: Redis | null, prefix: string): Promise<number> => {
  const pattern = `${escapeGlob(prefix)}user:*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await withRedis(redis, (client) => client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT));
    if (keys.length > 0) deleted += await withRedis(redis, (client) => client.unlink(...keys));
    cursor = next;
  } while (cursor !== '0');
  return deleted;
};
