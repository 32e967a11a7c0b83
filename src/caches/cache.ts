import type { Database, User } from './database.js';

export const CACHE_NAMES = ['map', 'lru', 'ttl'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** The `source` word of a hit, exactly as in the reference; a miss is always `database`. */
export type Source = 'cache' | 'lru_cache' | 'ttl_cache' | 'redis_cache' | 'database';

/** A cache's size and settings (max, ttl_ms, …). */
export interface CacheDescription {
  size: number;
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
}

export interface Lookup {
  source: Source;
  data: User;
}

/** Cache-aside, as in the reference: a hit answers from the cache, a miss asks the database and fills it. */
export const readThrough = async (cache: UserCache, counts: CacheCounts, db: Database, id: number): Promise<Lookup> => {
  const cached = await cache.get(id);
  if (cached !== undefined) {
    counts.hits += 1;
    return { source: cache.hitSource, data: cached };
  }
  counts.misses += 1;
  const user = await db.fetchUser(id);
  await cache.set(id, user);
  return { source: 'database', data: user };
};
