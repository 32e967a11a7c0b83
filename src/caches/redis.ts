// The reference's Redis cache: key `user:<id>`, a JSON value written with SETEX (600 s). One cache
// for every worker of every cluster: the first request anywhere pays the database call, the rest
// hit. When Redis is down the lookup fails open to the database (see readThrough), never to an error.
import type { Redis } from 'ioredis';
import { requireRedis } from '../counters/redis.js';
import { redisDown } from '../redis/client.js';
import type { UserCache } from './cache.js';
import type { User } from './database.js';

export interface RedisCacheOptions {
  client: Redis | null;
  prefix: string;
  /** SETEX seconds. @default 600 */
  ttlS: number;
}

export const userKey = (prefix: string, id: number): string => `${prefix}user:${id}`;

const isUser = (value: unknown): value is User =>
  typeof (value as User | null)?.user_id === 'number' && typeof (value as User | null)?.name === 'string';

export const createRedisCache = ({ client, prefix, ttlS }: RedisCacheOptions): UserCache => ({
  name: 'redis',
  path: '/user/redis',
  hitSource: 'redis_cache',
  async get(id) {
    const redis = requireRedis(client);
    let text: string | null;
    try {
      text = await redis.get(userKey(prefix, id));
    } catch (error) {
      throw redisDown(error);
    }
    if (text === null) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      // A value someone else wrote under our key is a miss, not a crash.
      return isUser(value) && value.user_id === id ? value : undefined;
    } catch {
      return undefined;
    }
  },
  async set(id, user) {
    try {
      await requireRedis(client).setex(userKey(prefix, id), ttlS, JSON.stringify(user));
    } catch (error) {
      throw redisDown(error);
    }
  },
  // Its size is Redis's business (one shared keyspace), not this worker's.
  describe: () => ({ size: null, ttl_s: ttlS }),
});
