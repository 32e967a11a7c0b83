import type { Redis } from 'ioredis';
import type { CacheCounts, CacheName, UserCache } from './caches/cache.js';
import { createValueCipher, type ValueCipher } from './caches/cipher.js';
import { createDatabase, type Database } from './caches/database.js';
import { createLruCache } from './caches/lru.js';
import { createMapCache } from './caches/map.js';
import { createGuardedRedisCache } from './caches/redis-guarded.js';
import type { StampedeGuard } from './caches/stampede.js';
import { createTtlCache } from './caches/ttl.js';
import { type Config, decodeCacheKey, STATE_STRATEGY } from './config.js';
import { COUNTER_STRATEGIES } from './counters/registry.js';
import type { Counter, CounterStrategy } from './counters/strategy.js';
import { createEventLoopMonitor, type EventLoopMonitor } from './event-loop.js';
import type { WorkerChannel } from './ipc/protocol.js';
import { isRedisUp, redactRedisUrl } from './redis/client.js';
import type { WorkerIdentity, WorkerStats } from './stats.js';

export interface CacheSlot {
  cache: UserCache;
  counts: CacheCounts;
  /** A cache's own extra numbers for /stats (the Redis cache's stampede guards). */
  extra?: () => Record<string, number>;
}

/**
 * Everything one worker keeps in its own memory: the counters, the caches and the database's call
 * count. It lives as long as the worker process, just like module-level globals in the reference.
 */
export interface Lab {
  readonly config: Config;
  readonly identity: WorkerIdentity;
  /** The strategies this lab serves, in the registry's order. */
  readonly strategies: readonly CounterStrategy[];
  readonly counters: ReadonlyMap<string, Counter>;
  /** What `/counter` uses: the strategy picked with `--state`. */
  readonly defaultCounter: Counter;
  readonly caches: ReadonlyMap<CacheName, CacheSlot>;
  /** What `/user/:id` uses. */
  readonly defaultCache: CacheSlot;
  /** The stampede guards in front of the Redis cache (`?guard=worker|fleet`). */
  readonly stampede: StampedeGuard;
  readonly db: Database;
  /** This worker's Redis connection; null when Redis is not configured. */
  readonly redis: Redis | null;
  /** `up`, `down`, or `not configured`. */
  redisStatus(): RedisStatus;
  /** Requests this worker has answered. */
  requests: number;
  /** Increments this worker made, per strategy: its share of each counter's load. */
  readonly increments: Map<string, number>;
  /** How late this worker's event loop runs. */
  readonly eventLoop: EventLoopMonitor;
  stats(): WorkerStats;
  /** POST /admin/reset: every counter of this worker back to its start. */
  reset(): void;
}

export type RedisStatus = 'up' | 'down' | 'not configured';

export interface LabOptions {
  config: Config;
  identity: WorkerIdentity;
  /** This worker's channel to its primary (the ipc counter asks over it). */
  channel: WorkerChannel;
  /** A client for `config.redisUrl` (connected or not), or null without Redis. */
  redis: Redis | null;
  /** Where a cached value that fails authentication is reported. */
  onCacheTampered?: (key: string) => void;
  /** The counter strategies to serve. @default COUNTER_STRATEGIES */
  strategies?: readonly CounterStrategy[];
  /** @default a monitor of this process's event loop */
  eventLoop?: EventLoopMonitor;
}

const slot = (cache: UserCache): CacheSlot => ({ cache, counts: { hits: 0, misses: 0, bypassed: 0 } });

const cipherFor = ({ cacheKey }: Pick<Config, 'cacheKey'>): ValueCipher | null => {
  const secret = cacheKey === null ? null : decodeCacheKey(cacheKey);
  return secret === null ? null : createValueCipher(secret);
};

export const createLab = ({
  config,
  identity,
  channel,
  redis,
  onCacheTampered,
  strategies = COUNTER_STRATEGIES,
  eventLoop = createEventLoopMonitor(),
}: LabOptions): Lab => {
  const startedAt = performance.now();
  const counters = new Map<string, Counter>(
    strategies.map((strategy) => [strategy.name, strategy.createCounter({ config, redis, channel })]),
  );
  const db = createDatabase({ delayMs: config.dbDelayMs });
  const redisCache = createGuardedRedisCache({
    config,
    client: redis,
    identity,
    db,
    cipher: cipherFor(config),
    onTampered: onCacheTampered,
  });
  const caches = new Map<CacheName, CacheSlot>([
    ...[
      createMapCache({ limit: config.mapCacheLimit }),
      createLruCache({ max: config.cacheMax }),
      createTtlCache({ max: config.cacheMax, ttlMs: config.cacheTtlMs }),
    ].map((cache): [CacheName, CacheSlot] => [cache.name, slot(cache)]),
    ['redis', { cache: redisCache.cache, counts: redisCache.counts, extra: redisCache.stats }],
  ]);
  const redisStatus = (): RedisStatus => (redis === null ? 'not configured' : isRedisUp(redis) ? 'up' : 'down');
  const pick = <K, V>(map: ReadonlyMap<K, V>, key: K): V => {
    const value = map.get(key);
    if (value === undefined) throw new Error(`No ${String(key)} in the lab.`);
    return value;
  };

  const lab: Lab = {
    config,
    identity,
    strategies,
    counters,
    defaultCounter: pick(counters, STATE_STRATEGY[config.state]),
    caches,
    defaultCache: pick(caches, config.state === 'redis' ? 'redis' : 'map'),
    stampede: redisCache.guard,
    db,
    redis,
    redisStatus,
    requests: 0,
    increments: new Map([...counters.keys()].map((name) => [name, 0])),
    eventLoop,
    reset() {
      for (const counter of counters.values()) counter.reset();
      for (const name of lab.increments.keys()) lab.increments.set(name, 0);
      eventLoop.reset();
      redisCache.reset();
    },
    stats: () => ({
      ...identity,
      uptime_s: Math.round((performance.now() - startedAt) / 100) / 10,
      requests: lab.requests,
      state: config.state,
      counters: Object.fromEntries([...counters].map(([name, counter]) => [name, counter.peek()])),
      increments: Object.fromEntries(lab.increments),
      caches: Object.fromEntries(
        [...caches].map(([name, { cache, counts, extra }]) => [name, { ...cache.describe(), ...counts, ...extra?.() }]),
      ),
      db_calls: lab.db.calls,
      redis: { url: config.redisUrl === null ? null : redactRedisUrl(config.redisUrl), status: redisStatus() },
      data_dir: config.dataDir,
      strategy_stats: Object.fromEntries(
        [...counters].flatMap(([name, counter]) => (counter.stats === undefined ? [] : [[name, counter.stats()]])),
      ),
      event_loop: eventLoop.read(),
    }),
  };
  return lab;
};
