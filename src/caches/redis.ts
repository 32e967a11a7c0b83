// The reference's Redis cache: key `user:<id>`, a JSON value written with SETEX (600 s). One cache
// for every worker of every cluster: the first request anywhere pays the database call, the rest
// hit. When Redis is down the lookup fails open to the database (see readThrough), never to an error.
import type { Redis } from 'ioredis';
import { withRedis } from '../redis/client.js';
import type { UserCache } from './cache.js';
import type { ValueCipher } from './cipher.js';
import type { User } from './database.js';

export interface RedisCacheOptions {
  client: Redis | null;
  prefix: string;
  /** SETEX seconds. @default 600 */
  ttlS: number;
  /** With --cache-key: values are stored encrypted, and one that fails authentication is a miss. */
  cipher?: ValueCipher | null;
  /** Told about each value that failed authentication (it is logged, never served). */
  onTampered?: (key: string) => void;
  /**
   * Early refresh (--redis-early-refresh-ms): each read also asks the entry's time to live (PTTL, in
   * the same round trip), and a hit tells `onHit` how long its entry has left.
   */
  earlyRefresh?: { windowMs: number; onHit(id: number, leftMs: number): void } | null;
}

export const userKey = (prefix: string, id: number): string => `${prefix}user:${id}`;

const isUser = (value: unknown): value is User =>
  typeof (value as User | null)?.user_id === 'number' && typeof (value as User | null)?.name === 'string';

export const createRedisCache = ({
  client,
  prefix,
  ttlS,
  cipher = null,
  onTampered = () => {},
  earlyRefresh = null,
}: RedisCacheOptions): UserCache => ({
  name: 'redis',
  path: '/user/redis',
  hitSource: 'redis_cache',
  async get(id) {
    const key = userKey(prefix, id);
    let leftMs = -1;
    const stored = await withRedis(client, async (redis) => {
      if (earlyRefresh === null) return redis.get(key);
      // Auto-pipelining sends both in one write: one round trip, as without early refresh.
      const [value, pttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
      leftMs = pttl;
      return value;
    });
    if (stored === null) return undefined;
    const text = cipher === null ? stored : cipher.open(stored, key);
    if (text === null) {
      onTampered(key);
      return undefined;
    }
    try {
      const value: unknown = JSON.parse(text);
      // A value someone else wrote under our key is a miss, not a crash.
      if (!isUser(value) || value.user_id !== id) return undefined;
      earlyRefresh?.onHit(id, leftMs);
      return value;
    } catch {
      return undefined;
    }
  },
  async set(id, user) {
    const key = userKey(prefix, id);
    const text = JSON.stringify(user);
    await withRedis(client, (redis) => redis.setex(key, ttlS, cipher === null ? text : cipher.seal(text, key)));
  },
  // Its size is Redis's business (one shared keyspace), not this worker's.
  describe: () => ({
    size: null,
    ttl_s: ttlS,
    encrypted: cipher !== null,
    early_refresh_ms: earlyRefresh === null ? 0 : earlyRefresh.windowMs,
  }),
});
