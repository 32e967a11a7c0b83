// The reference's TTLCache(maxsize=10, ttl=10): entries expire after --cache-ttl-ms, so stale data
// has a bounded life. Each worker's entries expire on their own clock: workers disagree on freshness.
import { LRUCache } from 'lru-cache';
import type { UserCache } from './cache.js';
import type { User } from './database.js';

export interface TtlCacheOptions {
  max: number;
  ttlMs: number;
  /** The clock entries age by. @default performance */
  clock?: { now(): number };
}

export const createTtlCache = ({ max, ttlMs, clock }: TtlCacheOptions): UserCache => {
  // A given clock is read on every lookup; lru-cache's own caches its reading for a millisecond.
  const ttl = new LRUCache<number, User>({ max, ttl: ttlMs, ...(clock && { perf: clock, ttlResolution: 0 }) });
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
