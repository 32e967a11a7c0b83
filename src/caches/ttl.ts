// The reference's TTLCache(maxsize=10, ttl=10): entries expire after --cache-ttl-ms, so stale data
// has a bounded life. Each worker's entries expire on their own clock: workers disagree on freshness.
import { LRUCache } from 'lru-cache';
import type { UserCache } from './cache.js';
import type { User } from './database.js';

export const createTtlCache = ({ max, ttlMs }: { max: number; ttlMs: number }): UserCache => {
  const ttl = new LRUCache<number, User>({ max, ttl: ttlMs });
  return {
    name: 'ttl',
    path: '/user/ttl',
    hitSource: 'ttl_cache',
    get: (id) => ttl.get(id),
    set: (id, user) => {
      ttl.set(id, user);
    },
    describe: () => {
      ttl.purgeStale();
      return { size: ttl.size, max, ttl_ms: ttlMs };
    },
  };
};
