import type { CacheStats } from './caches/cache.js';
import type { StateName } from './config.js';
import type { CounterStrategy, Scope } from './counters/strategy.js';
import type { EventLoopDelay } from './event-loop.js';
import type { CounterVerdict } from './verdict.js';

export interface WorkerIdentity {
  /** The cluster's name (`--instance`, default the hostname): worker ids repeat across clusters. */
  instance: string;
  /** node:cluster's worker id: 1, 2, … and a replacement gets the next one. */
  id: number;
  pid: number;
}

/** What one worker knows about itself (`GET /stats`). */
export interface WorkerStats extends WorkerIdentity {
  /** This worker's report number: a later report has a higher one (the primary keeps the latest). */
  seq: number;
  uptime_s: number;
  requests: number;
  state: StateName;
  /** Each counter strategy's latest value as this worker knows it (its own count for local ones). */
  counters: Record<string, number | null>;
  /** Increments this worker made per strategy since the last reset: its share of each counter route's load. */
  increments: Record<string, number>;
  /** The largest `current_count` this worker answered per strategy since the last reset (absent: none). */
  max_answers: Record<string, number>;
  caches: Record<string, CacheStats>;
  db_calls: number;
  redis: { url: string | null; status: 'up' | 'down' | 'not configured' };
  data_dir: string;
  /** A strategy's own numbers in this worker, for the strategies that keep some (redis-watch's aborts). */
  strategy_stats: Record<string, Record<string, number>>;
  /** How late this worker's event loop ran since its last reset (a blocked loop: the blocking route). */
  event_loop: EventLoopDelay;
}

export interface ClusterTotals {
  workers: number;
  requests: number;
  db_calls: number;
  /** Per-worker counters added up: what a single shared counter would have said. */
  counters: Record<string, number>;
  /** Increments made through each strategy's route, all workers together. */
  increments: Record<string, number>;
  caches: Record<string, { size: number | null; hits: number; misses: number; bypassed: number }>;
  /** Every worker's strategy_stats added up. */
  strategy_stats: Record<string, Record<string, number>>;
}

/** One counter strategy as /cluster shows it: where it lives, and its value there. */
export interface StrategyView {
  scope: Scope;
  /** Promises an exact count within its scope. */
  exact: boolean;
  /** What the count outlives: a worker's crash, a restart of the whole cluster. */
  survives: { crash: boolean; restart: boolean };
  route: string;
  /**
   * Worker scope: the live workers' counts added up (what a single counter would have said).
   * Host and fleet scope: the one stored value; null when it cannot be read.
   */
  value: number | null;
}

/**
 * One request in the live feed: which worker served it, on which client connection. The remote port
 * names the connection: a kept-alive one shows the same port request after request, on one worker.
 */
export interface FeedEntry {
  /** When the response was written, ms since the epoch. */
  t: number;
  worker: WorkerIdentity;
  method: string;
  /** The path, without the query. */
  path: string;
  status: number;
  /** The client's address and port: one connection. */
  remote: string;
  port: number;
}

/** A worker that exited since the last reset, with what it held at its last report. */
export interface Ghost extends WorkerIdentity {
  /** ISO time of its exit. */
  ended_at: string;
  /** How it ended: `killed by SIGKILL`, `exited with code 1`. */
  exit: string;
  /** Why, when the exit was planned: `POST /admin/crash`, `reload`, `recycled`, … ; null: it died. */
  reason: string | null;
  /** ISO time of its last report to the primary: what it did after that died unseen. null: none. */
  reported_at: string | null;
  /** Each counter's value at its last report (its own count for a worker-scoped strategy). */
  held: Record<string, number | null>;
  /** Its increments since the reset, per strategy, at its last report. */
  increments: Record<string, number>;
  max_answers: Record<string, number>;
  requests: number;
  db_calls: number;
}

/** Every live worker's stats, gathered by the primary (`GET /cluster`). */
export interface ClusterStats {
  /** Every counter strategy, in the registry's order, with its scope. */
  strategies: Record<string, StrategyView>;
  workers: WorkerStats[];
  /** Live workers that did not answer in time (busy or stuck). */
  unresponsive: WorkerIdentity[];
  totals: ClusterTotals;
  restarts: number;
  /** Workers replaced after serving --max-requests; they are also counted in `restarts`. */
  recycled: number;
  ipc_counter: number;
  /** Counters that live outside the workers (host and fleet scope): one true value each. */
  shared_counters: Record<string, number | null>;
  redis: RedisView;
  data_dir: string;
  started_at: string;
  /** When the counts below start: the last POST /admin/reset, or the cluster's start. */
  since: string;
  /** What each shared store held at that moment: "since the reset" is counted from here. */
  baselines: Record<string, number | null>;
  /** Each counter strategy judged since the reset (src/verdict.ts), dead workers included. */
  verdicts: Record<string, CounterVerdict>;
  /** Workers that exited since the reset, newest last (at most GHOSTS_KEPT; older ones are added up). */
  ghosts: Ghost[];
  /** The last requests across all workers, oldest first. */
  feed: FeedEntry[];
  /** Whether workers keep connections open now (switched at run time with POST /admin/keep-alive). */
  keep_alive: boolean;
  /** Whether the admin routes exist (an admin token is configured): the dashboard shows its controls. */
  admin: boolean;
}

/** Redis as the primary sees it. */
export interface RedisView {
  url: string | null;
  up: boolean;
  /** `private`: a redis-server this cluster started (and may stop and start); `url`: the user's. */
  origin: 'url' | 'private' | 'none';
  /** The private redis-server's pid; null otherwise. */
  pid: number | null;
  /** The private redis-server was stopped on purpose (POST /admin/redis/stop) and is not restarted. */
  stopped: boolean;
}

/** The strategies whose state is in each worker: the only ones whose values may be added up. */
export const perWorkerNames = (strategies: readonly CounterStrategy[]): ReadonlySet<string> =>
  new Set(strategies.filter((strategy) => strategy.scope === 'worker').map((strategy) => strategy.name));

/**
 * Add up every worker's numbers. Only per-worker counters are summed: a shared counter (ipc) is the
 * same number seen N times.
 */
export const summarize = (workers: readonly WorkerStats[], perWorker: ReadonlySet<string>): ClusterTotals => {
  const totals: ClusterTotals = {
    workers: workers.length,
    requests: 0,
    db_calls: 0,
    counters: {},
    increments: {},
    caches: {},
    strategy_stats: {},
  };
  for (const worker of workers) {
    for (const [name, numbers] of Object.entries(worker.strategy_stats ?? {})) {
      const sum = totals.strategy_stats[name] ?? {};
      totals.strategy_stats[name] = sum;
      for (const [field, value] of Object.entries(numbers)) sum[field] = (sum[field] ?? 0) + value;
    }
    totals.requests += worker.requests;
    totals.db_calls += worker.db_calls;
    for (const [name, value] of Object.entries(worker.counters)) {
      if (perWorker.has(name)) totals.counters[name] = (totals.counters[name] ?? 0) + (value ?? 0);
    }
    for (const [name, value] of Object.entries(worker.increments)) {
      totals.increments[name] = (totals.increments[name] ?? 0) + value;
    }
    for (const [name, cache] of Object.entries(worker.caches)) {
      const sum = totals.caches[name] ?? { size: cache.size === null ? null : 0, hits: 0, misses: 0, bypassed: 0 };
      // A cache outside the workers (Redis) has no per-worker size to add up.
      if (sum.size !== null && cache.size !== null) sum.size += cache.size;
      sum.hits += cache.hits;
      sum.misses += cache.misses;
      sum.bypassed += cache.bypassed;
      totals.caches[name] = sum;
    }
  }
  return totals;
};

/** /cluster's `strategies`: each strategy's scope and its value where it lives. */
export const viewStrategies = (
  strategies: readonly CounterStrategy[],
  totals: ClusterTotals,
  shared: Record<string, number | null>,
): Record<string, StrategyView> =>
  Object.fromEntries(
    strategies.map((strategy): [string, StrategyView] => [
      strategy.name,
      {
        scope: strategy.scope,
        exact: strategy.exact,
        survives: strategy.survives,
        route: `/counter/${strategy.name}`,
        value: strategy.scope === 'worker' ? (totals.counters[strategy.name] ?? 0) : (shared[strategy.name] ?? null),
      },
    ]),
  );
