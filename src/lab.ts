import type { CacheCounts, CacheName, UserCache } from './caches/cache.js';
import { createDatabase, type Database } from './caches/database.js';
import { createLruCache } from './caches/lru.js';
import { createMapCache } from './caches/map.js';
import { createTtlCache } from './caches/ttl.js';
import type { Config } from './config.js';
import type { Counter, CounterName } from './counters/counter.js';
import { type AskPrimary, createIpcCounter } from './counters/ipc.js';
import { createLocalCounter } from './counters/local.js';
import { createUnsafeCounter } from './counters/unsafe.js';
import type { WorkerIdentity, WorkerStats } from './stats.js';

export interface CacheSlot {
  cache: UserCache;
  counts: CacheCounts;
}

/**
 * Everything one worker keeps in its own memory: the counters, the caches and the database's call
 * count. It lives as long as the worker process, just like module-level globals in the reference.
 */
export interface Lab {
  readonly config: Config;
  readonly identity: WorkerIdentity;
  readonly counters: ReadonlyMap<CounterName, Counter>;
  /** What `/counter` uses: the strategy picked with `--state`. */
  readonly defaultCounter: Counter;
  readonly caches: ReadonlyMap<CacheName, CacheSlot>;
  /** What `/user/:id` uses. */
  readonly defaultCache: CacheSlot;
  readonly db: Database;
  /** Requests this worker has answered. */
  requests: number;
  /** Increments this worker made, per strategy: its share of each counter's load. */
  readonly increments: Map<CounterName, number>;
  stats(): WorkerStats;
}

export interface LabOptions {
  config: Config;
  identity: WorkerIdentity;
  askPrimary: AskPrimary;
}

const slot = (cache: UserCache): CacheSlot => ({ cache, counts: { hits: 0, misses: 0 } });

const DEFAULT_COUNTER: Record<Config['state'], CounterName> = {
  memory: 'local',
  ipc: 'ipc',
  file: 'local',
  redis: 'local',
};

export const createLab = ({ config, identity, askPrimary }: LabOptions): Lab => {
  const startedAt = performance.now();
  const counters = new Map<CounterName, Counter>(
    [createLocalCounter(), createUnsafeCounter({ ioDelayMs: config.ioDelayMs }), createIpcCounter(askPrimary)].map(
      (counter) => [counter.name, counter],
    ),
  );
  const caches = new Map<CacheName, CacheSlot>(
    [
      createMapCache(),
      createLruCache({ max: config.cacheMax }),
      createTtlCache({ max: config.cacheMax, ttlMs: config.cacheTtlMs }),
    ].map((cache) => [cache.name, slot(cache)]),
  );
  const pick = <K, V>(map: ReadonlyMap<K, V>, key: K): V => {
    const value = map.get(key);
    if (value === undefined) throw new Error(`No ${String(key)} in the lab.`);
    return value;
  };

  const lab: Lab = {
    config,
    identity,
    counters,
    defaultCounter: pick(counters, DEFAULT_COUNTER[config.state]),
    caches,
    defaultCache: pick(caches, 'map'),
    db: createDatabase({ delayMs: config.dbDelayMs }),
    requests: 0,
    increments: new Map([...counters.keys()].map((name) => [name, 0])),
    stats: () => ({
      ...identity,
      uptime_s: Math.round((performance.now() - startedAt) / 100) / 10,
      requests: lab.requests,
      state: config.state,
      counters: Object.fromEntries([...counters].map(([name, counter]) => [name, counter.peek()])),
      increments: Object.fromEntries(lab.increments),
      caches: Object.fromEntries(
        [...caches].map(([name, { cache, counts }]) => [name, { ...cache.describe(), ...counts }]),
      ),
      db_calls: lab.db.calls,
    }),
  };
  return lab;
};
