// The primary's side of the conversation with its workers: it answers their requests (the cluster's
// stats, the metrics, resets, reloads, and whatever a strategy registers, like the ipc counter's
// increments), and gathers answers from every live worker. It knows workers only as channels, so
// its unit tests drive it with fake workers. /cluster and /metrics are views that every worker may
// ask for at once (a dashboard per student, a scraper): concurrent asks share one aggregation, and
// aggregations are spaced (single-flight.ts), so a flood of them cannot starve the ipc counter.
// What happened since the last reset — baselines, ghosts, the live feed, the verdicts — is kept in
// since-reset.ts; the hub feeds it with the workers' reports and resets it.
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { CounterStrategy, PrimarySide } from '../counters/strategy.js';
import type { MetricsJson, PrimaryChannel, PrimaryRequests, ReloadResult, ResetResult } from '../ipc/protocol.js';
import { singleFlight } from '../single-flight.js';
import {
  type ClusterStats,
  perWorkerNames,
  type RedisView,
  summarize,
  viewStrategies,
  type WorkerIdentity,
  type WorkerStats,
} from '../stats.js';
import { createRetiredMetrics } from './retired-metrics.js';
import type { SharedCounters } from './shared-state.js';
import { createSinceReset, type WorkerEnd } from './since-reset.js';

/** How long the primary waits for one worker's stats, metrics or reset before leaving it out. */
export const WORKER_ANSWER_TIMEOUT_MS = 1000;

/**
 * Least time between two aggregations of the same view (/cluster, /metrics). Nobody is served an
 * older one (see single-flight.ts): this bounds the primary's work under a flood to 4 a second per
 * view, at the cost of up to this much latency for a request that arrives right after one started.
 * The dashboard polls every 500 ms, so one viewer never waits.
 */
export const AGGREGATION_GAP_MS = 250;

export interface HubWorker {
  identity: WorkerIdentity;
  channel: PrimaryChannel;
}

export interface HubOptions {
  /** This cluster's name (--instance). */
  instance: string;
  /** The workers that serve now (listening, not draining). */
  liveWorkers: () => readonly HubWorker[];
  strategies: readonly CounterStrategy[];
  restarts: () => number;
  /** Workers replaced after --max-requests (also counted in restarts). @default none */
  recycled?: () => number;
  /** Redis as the primary sees it (URL redacted). */
  redis: () => RedisView;
  /** Whether workers keep connections open now. @default () => true */
  keepAlive?: () => boolean;
  /** Whether the admin routes exist. @default false */
  admin?: boolean;
  /** Delete the Redis cache's entries (a reset with ?shared=1); resolves to how many. @default none */
  clearSharedCache?: () => Promise<number>;
  dataDir: string;
  /** Start a rolling restart (POST /admin/reload). */
  reload: () => ReloadResult;
  /** The primary's own metrics (restarts, shared counters, Redis up), merged into /metrics. */
  primaryRegistry: Registry;
  /** @default AGGREGATION_GAP_MS */
  aggregationGapMs?: number;
  /** Whether a worker has not exited yet (draining ones included). @default: it is live */
  isRunning?: (id: number) => boolean;
}

export interface Hub {
  /** Register the hub's handlers (and every strategy's) on a new worker's channel. */
  attach(channel: PrimaryChannel): void;
  /** For a strategy's primary half: answer this request from every worker, present and future. */
  handle: PrimarySide['handle'];
  /** The shared counters, once built with `handle` (they register their own handlers). */
  useSharedCounters(shared: SharedCounters): void;
  gather(): Promise<ClusterStats>;
  metrics(): Promise<{ text: string; contentType: string }>;
  reset(shared: boolean): Promise<ResetResult>;
  /**
   * A worker exited: what it counted stays in /metrics (its counters and histograms, not its gauges),
   * and it stays in /cluster as a ghost with what it held, until a reset.
   */
  workerExited(identity: WorkerIdentity, end: WorkerEnd): void;
  /** Measure every shared store now: the baselines "since the start" counts from. */
  takeBaselines(): Promise<void>;
}

type Attach = (channel: PrimaryChannel) => void;

export const createHub = (options: HubOptions): Hub => {
  const { instance, liveWorkers, strategies, restarts, redis, dataDir, reload, primaryRegistry } = options;
  const { keepAlive = () => true, admin = false, clearSharedCache } = options;
  const gap = { minGapMs: options.aggregationGapMs ?? AGGREGATION_GAP_MS };
  const isRunning = options.isRunning ?? ((id: number) => liveWorkers().some(({ identity }) => identity.id === id));
  const sinceReset = createSinceReset({ instance, strategies, isRunning });
  const startedAt = new Date().toISOString();
  const perWorker = perWorkerNames(strategies);
  const extraHandlers: Attach[] = [];
  let shared: SharedCounters = { read: async () => ({}), reset: async () => {} };

  /** Ask every live worker the same question; silent ones are listed apart, never waited for. */
  const askAll = async <K extends 'stats' | 'reset-local'>(type: K) => {
    const workers = liveWorkers();
    const answers = await Promise.allSettled(
      workers.map(({ identity, channel }) =>
        channel
          .request(type, null, {
            timeoutMs: WORKER_ANSWER_TIMEOUT_MS,
            what: `${type} from worker ${identity.id}`,
          })
          // Both answers are reports; kept as they arrive, before an exit could be handled.
          .then((stats) => {
            sinceReset.report(stats);
            return stats;
          }),
      ),
    );
    const replies: PrimaryRequests[K]['reply'][] = [];
    const silent: WorkerIdentity[] = [];
    answers.forEach((answer, index) => {
      if (answer.status === 'fulfilled') replies.push(answer.value);
      else silent.push((workers[index] as HubWorker).identity);
    });
    return { asked: workers.length, replies, silent };
  };

  const gatherNow = async (): Promise<ClusterStats> => {
    const sharedValues = shared.read();
    const { replies, silent } = await askAll('stats');
    const stats = [...(replies as WorkerStats[])].sort((a, b) => a.id - b.id);
    const values = await sharedValues;
    const totals = summarize(stats, perWorker);
    // A busy worker still holds what it last reported: judged with that, not as lost.
    const judged = [
      ...stats,
      ...silent.flatMap((worker) => {
        const last = sinceReset.latestOf(worker.id);
        return last === undefined ? [] : [last];
      }),
    ];
    return {
      strategies: viewStrategies(strategies, totals, values),
      workers: stats,
      unresponsive: silent,
      totals,
      restarts: restarts(),
      recycled: options.recycled?.() ?? 0,
      ipc_counter: values.ipc ?? 0,
      shared_counters: values,
      redis: redis(),
      data_dir: dataDir,
      started_at: startedAt,
      ...sinceReset.view(judged, values),
      keep_alive: keepAlive(),
      admin,
    };
  };

  // Each worker's latest metrics, by worker id, until it exits; then they are folded into `retired`.
  // A worker that is silent this time (busy) or draining keeps its last answer, so that no sum dips.
  const latest = new Map<number, MetricsJson>();
  const retired = createRetiredMetrics();
  const metricsNow = async () => {
    await Promise.allSettled(
      liveWorkers().map(({ identity, channel }) =>
        channel
          .request('collect-metrics', null, {
            timeoutMs: WORKER_ANSWER_TIMEOUT_MS,
            what: `collect-metrics from worker ${identity.id}`,
          })
          // Kept as soon as it arrives: a worker's exit closes its channel (rejecting a request still
          // waiting), so an answer that arrives at all is kept before that worker's exit is handled.
          .then((json) => latest.set(identity.id, json)),
      ),
    );
    const aggregated = AggregatorRegistry.aggregate([
      ...latest.values(),
      retired.json(),
      await primaryRegistry.getMetricsAsJSON(),
    ]);
    return { text: await aggregated.metrics(), contentType: aggregated.contentType as string };
  };
  const gather = singleFlight(gatherNow, gap);
  const metrics = singleFlight(metricsNow, gap);

  // Memory only, by default: every live worker zeroes its own counters, and the shared counters that a
  // cluster restart would lose anyway (the ipc one) go too. With `all`, the durable ones as well.
  const volatile = strategies
    .filter((strategy) => strategy.scope !== 'worker' && !strategy.survives.restart)
    .map((strategy) => strategy.name);
  const reset = async (all: boolean): Promise<ResetResult> => {
    const { asked, replies, silent } = await askAll('reset-local');
    const errors = silent.map((worker) => `worker ${worker.id} did not answer`);
    await shared.reset(all ? undefined : volatile).catch((error: unknown) => {
      errors.push(error instanceof Error ? error.message : String(error));
    });
    let keys = 0;
    if (all && clearSharedCache !== undefined) {
      keys = await clearSharedCache().catch((error: unknown) => {
        errors.push(`the Redis cache: ${error instanceof Error ? error.message : String(error)}`);
        return 0;
      });
    }
    // The new baselines: every store as it is now, and the silent workers' counts as they last were.
    const stores = await shared.read();
    const stale = silent.flatMap((worker) => {
      const last = sinceReset.latestOf(worker.id);
      return last === undefined ? [] : [last];
    });
    const since = sinceReset.restart(replies as WorkerStats[], stale, stores);
    return { workers: asked - silent.length, ipc: true, shared: all, errors, redis_cache_keys: keys, since };
  };

  return {
    attach(channel) {
      channel
        .handle('cluster-stats', gather)
        .handle('metrics', metrics)
        .handle('reset', ({ shared: all }) => reset(all))
        .handle('reload', () => reload())
        .on('last-metrics', ({ id, metrics: json }) => {
          // Only from a worker that has not exited: a late message must not bring a folded one back.
          if (isRunning(id)) latest.set(id, json);
        })
        .on('report', ({ stats, feed }) => {
          sinceReset.report(stats);
          sinceReset.addFeed(feed);
        });
      for (const attach of extraHandlers) attach(channel);
    },
    handle(type, handler) {
      extraHandlers.push((channel) => channel.handle(type, handler));
    },
    useSharedCounters(counters) {
      shared = counters;
    },
    gather,
    metrics,
    reset,
    workerExited(identity, end) {
      sinceReset.exited(identity, end);
      const last = latest.get(identity.id);
      if (last === undefined) return;
      latest.delete(identity.id);
      retired.fold(last);
    },
    async takeBaselines() {
      sinceReset.restart([], [], await shared.read());
    },
  };
};
