// The Redis cache with what protects its database: the stampede guards (`?guard=`) and, with
// --redis-early-refresh-ms, early refresh. Both share one lease per key (redis-lock.ts), so a
// refresh in progress is also what a guarded miss waits for.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { WorkerIdentity } from '../stats.js';
import type { CacheCounts, UserCache } from './cache.js';
import type { ValueCipher } from './cipher.js';
import type { Database } from './database.js';
import { createEarlyRefresh } from './early-refresh.js';
import { createRedisCache } from './redis.js';
import { createCacheLock } from './redis-lock.js';
import { createStampedeGuard, leaseTimingsFor, type StampedeGuard } from './stampede.js';

export interface GuardedRedisCache {
  cache: UserCache;
  counts: CacheCounts;
  guard: StampedeGuard;
  /** The guards' and the refresher's numbers, shown with the cache's own. */
  stats(): Record<string, number>;
  reset(): void;
}

export interface GuardedRedisCacheOptions {
  config: Pick<Config, 'redisPrefix' | 'redisTtlS' | 'redisEarlyRefreshMs' | 'dbDelayMs'>;
  client: Redis | null;
  identity: WorkerIdentity;
  db: Database;
  cipher: ValueCipher | null;
  onTampered?: (key: string) => void;
}

export const createGuardedRedisCache = ({
  config,
  client,
  identity,
  db,
  cipher,
  onTampered,
}: GuardedRedisCacheOptions): GuardedRedisCache => {
  const prefix = config.redisPrefix;
  const timings = leaseTimingsFor(config.dbDelayMs);
  const lock = createCacheLock({ client, prefix, holder: `${identity.instance}:${identity.pid}` });
  const windowMs = config.redisEarlyRefreshMs;
  const cache = createRedisCache({
    client,
    prefix,
    ttlS: config.redisTtlS,
    cipher,
    onTampered,
    earlyRefresh: windowMs > 0 ? { windowMs, onHit: (id, leftMs) => refresher.onHit(id, leftMs) } : null,
  });
  const refresher = createEarlyRefresh({ client, prefix, cache, db, lock, windowMs, leaseMs: timings.leaseMs });
  const counts: CacheCounts = { hits: 0, misses: 0, bypassed: 0 };
  const guard = createStampedeGuard({ cache, counts, db, lock, timings });
  return {
    cache,
    counts,
    guard,
    stats: () => ({ ...guard.stats(), ...refresher.stats() }),
    reset() {
      guard.reset();
      refresher.reset();
    },
  };
};
