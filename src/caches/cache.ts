import { isAppError } from '../errors.js';
import { REDIS_FAILURES } from '../redis/client.js';
import type { Database, User } from './database.js';

export const CACHE_NAMES = ['map', 'lru', 'ttl', 'redis'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** The `source` word of a hit, exactly as in the reference; a miss is always `database`. */
export type Source = 'cache' | 'lru_cache' | 'ttl_cache' | 'redis_cache' | 'database';

/** A cache's size and settings (max, ttl_ms, …). */
export interface CacheDescription {
  /** Entries held by this worker; null for a cache that lives outside it. */
  size: number | null;
  [setting: string]: number | boolean | string | null;
}

export type CacheStats = CacheDescription & CacheCounts;

/** One cache in front of the simulated database. */
export interface UserCache {
  readonly name: CacheName;
  /** The route prefix, e.g. `/user/lru`: the cache answers `<prefix>/:id`. */
  readonly path: string;
  /** The word a hit reports as `source`. */
  readonly hitSource: Source;
  get(id: number): User | undefined | Promise<User | undefined>;
  set(id: number, user: User): void | Promise<void>;
  /** Size and settings; hits and misses are added by `readThrough`. */
  describe(): CacheDescription;
}

export interface CacheCounts {
  hits: number;
  misses: number;
  /** Lookups that went straight to the database because the cache was down. */
  bypassed: number;
}

export interface Lookup {
  source: Source;
  data: User;
  /** The cache was down and the answer came from the database without it. */
  bypassed: boolean;
}

/** Redis down, full or answering an error: the cache is skipped, the database answers. */
export const isCacheDown = (error: unknown): boolean => isAppError(error) && REDIS_FAILURES.has(error.code);

/** What a miss does: by default ask the database and fill the cache; a stampede guard does more. */
export type OnMiss = (id: number) => Promise<Lookup>;

/**
 * Cache-aside, as in the reference: a hit answers from the cache, a miss asks the database and fills
 * it. A cache that is down is skipped (fail open): slower answers, never failed ones. A hit in an
 * in-memory cache is answered synchronously, without a promise: it is the hot path.
 */
export const readThrough = (
  cache: UserCache,
  counts: CacheCounts,
  db: Database,
  id: number,
  onMiss?: OnMiss,
): Lookup | Promise<Lookup> => {
  const hitOrFill = (cached: User | undefined): Lookup | Promise<Lookup> => {
    if (cached !== undefined) {
      counts.hits += 1;
      return { source: cache.hitSource, data: cached, bypassed: false };
    }
    counts.misses += 1;
    return onMiss === undefined ? fill(cache, db, id) : onMiss(id);
  };
  const cached = cache.get(id);
  if (!(cached instanceof Promise)) return hitOrFill(cached);
  return cached.then(hitOrFill, async (error: unknown) => {
    if (!isCacheDown(error)) throw error;
    counts.bypassed += 1;
    return { source: 'database', data: await db.fetchUser(id), bypassed: true };
  });
};

/** Ask the database and put the answer in the cache; a cache that fails the write is bypassed. */
export const fill = async (cache: UserCache, db: Database, id: number): Promise<Lookup> => {
  const user = await db.fetchUser(id);
  try {
    await cache.set(id, user);
  } catch (error) {
    if (!isCacheDown(error)) throw error;
    return { source: 'database', data: user, bypassed: true };
  }
  return { source: 'database', data: user, bypassed: false };
};
