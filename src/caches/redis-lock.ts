// A lease in Redis, one per cache key: `SET lock:user:<id> <token> NX PX <ms>` gives it to exactly
// one caller in the whole fleet, and it ends by itself after <ms> when its holder dies (kill -9)
// without releasing it. Released with a compare-and-delete script, so a holder whose lease already
// ran out cannot delete the lease somebody else took over.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { withRedis } from '../redis/client.js';
import { defineScript } from '../redis/scripts.js';

export const lockKey = (prefix: string, id: number): string => `${prefix}lock:user:${id}`;

const RELEASE_IF_MINE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
const releaseIfMine = defineScript('labReleaseLock', RELEASE_IF_MINE, 1);

export interface CacheLock {
  /** The lease for `id` for `ttlMs`: its token, or null when somebody else holds it. */
  tryAcquire(id: number, ttlMs: number): Promise<string | null>;
  /** End the lease if it is still ours; never throws (an unreleased lease ends by itself). */
  release(id: number, token: string): Promise<void>;
}

/**
 * Leases on `client`. A token names its holder (`<instance>:<pid>:<uuid>`), so whoever looks at the
 * lock in Redis sees which process is loading (the tests kill exactly that one).
 */
export const createCacheLock = ({
  client,
  prefix,
  holder,
}: {
  client: Redis | null;
  prefix: string;
  holder: string;
}): CacheLock => ({
  async tryAcquire(id, ttlMs) {
    const token = `${holder}:${randomUUID()}`;
    const answer = await withRedis(client, (redis) => redis.set(lockKey(prefix, id), token, 'PX', ttlMs, 'NX'));
    return answer === 'OK' ? token : null;
  },
  async release(id, token) {
    await withRedis(client, (redis) => releaseIfMine(redis, [lockKey(prefix, id)], [token])).catch(() => undefined);
  },
});
