// Redis INCR: one atomic command on one shared server, so every worker of every cluster on every
// machine counts together, and the count survives crashes and restarts (with persistence on).
// The price is a network round trip per increment; auto-pipelining packs concurrent ones together.
import type { Redis } from 'ioredis';
import { withRedis } from '../redis/client.js';
import type { Counter } from './counter.js';

export interface RedisCounterOptions {
  /** null when Redis is not configured: the route answers 503 with a hint. */
  client: Redis | null;
  /** Namespace for every key. @default '' */
  prefix: string;
}

export const redisCounterKey = (prefix: string): string => `${prefix}counter`;

export const createRedisCounter = ({ client, prefix }: RedisCounterOptions): Counter => {
  const key = redisCounterKey(prefix);
  let lastSeen: number | null = null;
  return {
    name: 'redis',
    async increment() {
      lastSeen = await withRedis(client, (redis) => redis.incr(key));
      return lastSeen;
    },
    peek: () => lastSeen,
    reset: () => {
      lastSeen = null;
    },
  };
};
