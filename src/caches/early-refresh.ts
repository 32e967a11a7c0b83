// Expiry stampedes: a hot key that expires under load sends every request that arrives during the
// reload to the database. Early refresh keeps it from expiring at all: a hit that finds its entry in
// the last `windowMs` of its life answers from the cache as usual and starts one refresh in the
// background, under the entry's lease (redis-lock.ts), so the whole fleet makes one database call
// per expiry and nobody waits for it. Unlike stale-while-revalidate, nothing past its TTL is served:
// the window is carved from the end of the TTL, so it must be longer than a load.
import type { Redis } from 'ioredis';
import { withRedis } from '../redis/client.js';
import { fill, type UserCache } from './cache.js';
import type { Database } from './database.js';
import { userKey } from './redis.js';
import type { CacheLock } from './redis-lock.js';

export interface EarlyRefreshOptions {
  client: Redis | null;
  prefix: string;
  cache: UserCache;
  db: Database;
  lock: CacheLock;
  /** Refresh once an entry has less than this left to live. */
  windowMs: number;
  /** How long a refresher holds the entry's lease. */
  leaseMs: number;
}

export interface EarlyRefresh {
  /** A hit found `id` with `leftMs` to live: refresh it in the background if that is due and nobody else is. */
  onHit(id: number, leftMs: number): void;
  /** Refreshes this worker made (each one database call). */
  stats(): { early_refreshes: number };
  reset(): void;
}

export const createEarlyRefresh = ({
  client,
  prefix,
  cache,
  db,
  lock,
  windowMs,
  leaseMs,
}: EarlyRefreshOptions): EarlyRefresh => {
  const running = new Set<number>();
  let refreshes = 0;

  const refresh = async (id: number): Promise<void> => {
    const token = await lock.tryAcquire(id, leaseMs);
    // Another request, here or in another worker, is refreshing it.
    if (token === null) return;
    try {
      // It may have been refreshed between our look and our lease.
      const leftMs = await withRedis(client, (redis) => redis.pttl(userKey(prefix, id)));
      if (leftMs > windowMs) return;
      refreshes += 1;
      await fill(cache, db, id);
    } finally {
      await lock.release(id, token);
    }
  };

  return {
    onHit(id, leftMs) {
      // -1: no TTL, -2: gone since; either way nothing to refresh ahead of.
      if (leftMs < 0 || leftMs > windowMs || running.has(id)) return;
      running.add(id);
      // In the background on purpose: the hit has its answer. A failure (Redis down) leaves the
      // entry to expire as it would have without us.
      void refresh(id)
        .catch(() => undefined)
        .finally(() => running.delete(id));
    },
    stats: () => ({ early_refreshes: refreshes }),
    reset() {
      refreshes = 0;
    },
  };
};
