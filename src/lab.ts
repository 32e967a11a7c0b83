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
import { createFeed, type Feed } from './feed.js';
import type { WorkerChannel } from './ipc/protocol.js';
import { isRedisUp, redactRedisUrl } from './redis/client.js';
import type { WorkerIdentity, WorkerStats } from './stats.js';

export interface CacheSlot {
  /** Replaced by a fresh, empty one on a reset (the in-memory ones): routes read it per request. */
  cache: UserCache;
  counts: CacheCounts;
  /** A cache's own extra numbers for /stats (the Redis cache's stampede guards). */
  extra?: () => Record<string, number>;
}

/** What one counter route answered since the last reset: kept on the hot path, so two plain fields. */
export interface CounterTally {
  /** 2xx answers (increments a client was told about). */
  increments: number;
  /** The largest `current_count` answered; -Infinity before the first. */
  maxAnswer: number;
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
  /** Its call count goes back to 0 on a reset. */
  readonly db: Database;
  /** This worker's Redis connection; null when Redis is not configured. */
  readonly redis: Redis | null;
  /** `up`, `down`, or `not configured`. */
  redisStatus(): RedisStatus;
  /** Requests this worker has answered since the last reset (the dashboard's own polls not counted). */
  requests: number;
  /** Per strategy: its answers since the last reset and the largest value among them. */
  readonly tallies: ReadonlyMap<string, CounterTally>;
  /** The last requests this worker served, for the primary's live feed. */
  readonly feed: Feed;
  /** How late this worker's event loop runs. */
  readonly eventLoop: EventLoopMonitor;
  stats(): WorkerStats;
  /**
   * POST /admin/reset: a clean slate — every counter, every in-memory cache (emptied), the database's
   * call count, the request count, the answers' tallies. Shared stores are the primary's business.
   */
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
  // Its entries are in Redis, not in this process: it outlives a reset (which zeroes its counts).
  const redisCache = createGuardedRedisCache({
    config,
    client: redis,
    identity,
    db,
    cipher: cipherFor(config),
    onTampered: onCacheTampered,
  });
  const makeCaches = (): UserCache[] => [
    createMapCache({ limit: config.mapCacheLimit }),
    createLruCache({ max: config.cacheMax }),
    createTtlCache({ max: config.cacheMax, ttlMs: config.cacheTtlMs }),
  ];
  const caches = new Map<CacheName, CacheSlot>([
    ...makeCaches().map((cache): [CacheName, CacheSlot] => [cache.name, slot(cache)]),
    ['redis', { cache: redisCache.cache, counts: redisCache.counts, extra: redisCache.stats }],
  ]);
  const tallies = new Map<string, CounterTally>(
    [...counters.keys()].map((name) => [name, { increments: 0, maxAnswer: Number.NEGATIVE_INFINITY }]),
  );
  // Numbers each report, so the primary keeps the latest of those that reach it out of order.
  let seq = 0;
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
    tallies,
    feed: createFeed(identity),
    eventLoop,
    reset() {
      for (const counter of counters.values()) counter.reset();
      for (const tally of tallies.values()) {
        tally.increments = 0;
        tally.maxAnswer = Number.NEGATIVE_INFINITY;
      }
      for (const cache of makeCaches()) {
        const target = caches.get(cache.name);
        if (target === undefined) continue;
        target.cache = cache;
        target.counts.hits = 0;
        target.counts.misses = 0;
        target.counts.bypassed = 0;
      }
      const redisSlot = caches.get('redis');
      if (redisSlot !== undefined) Object.assign(redisSlot.counts, { hits: 0, misses: 0, bypassed: 0 });
      redisCache.reset();
      // Loads still in flight were counted when they were asked for, before the reset.
      db.resetCalls();
      eventLoop.reset();
      lab.requests = 0;
    },
    stats() {
      seq += 1;
      return {
        ...identity,
        seq,
        uptime_s: Math.round((performance.now() - startedAt) / 100) / 10,
        requests: lab.requests,
        state: config.state,
        counters: Object.fromEntries([...counters].map(([name, counter]) => [name, counter.peek()])),
        increments: Object.fromEntries([...tallies].map(([name, tally]) => [name, tally.increments])),
        max_answers: Object.fromEntries(
          [...tallies].flatMap(([name, tally]) => (tally.increments > 0 ? [[name, tally.maxAnswer]] : [])),
        ),
        caches: Object.fromEntries(
          [...caches].map(([name, { cache, counts, extra }]) => [
            name,
            { ...cache.describe(), ...counts, ...extra?.() },
          ]),
        ),
        db_calls: db.calls,
        redis: { url: config.redisUrl === null ? null : redactRedisUrl(config.redisUrl), status: redisStatus() },
        data_dir: config.dataDir,
        strategy_stats: Object.fromEntries(
          [...counters].flatMap(([name, counter]) => (counter.stats === undefined ? [] : [[name, counter.stats()]])),
        ),
        event_loop: eventLoop.read(),
      };
    },
  };
  return lab;
};
