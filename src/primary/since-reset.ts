// What the primary knows since the last reset (or the cluster's start), so that /cluster can judge
// every counter with src/verdict.ts exactly as the hammer does: each shared store's value at the
// reset (its baseline), each worker's latest report (pushed by the worker, or gathered), the ghosts of
// the workers that exited with what they held, and the live feed of the last requests. Pure memory,
// no I/O: the hub feeds it and asks it for the view.
import type { CounterStrategy } from '../counters/strategy.js';
import type { FeedEntry, Ghost, WorkerIdentity, WorkerStats } from '../stats.js';
import { type CounterVerdict, judgeCounterRun, type StorePart, type WorkerPart } from '../verdict.js';

/** Ghosts shown one by one; older ones are added up into one line, so memory stays bounded. */
export const GHOSTS_KEPT = 32;
/** Requests in the live feed, all workers together. */
export const FEED_KEPT = 40;
/** The store of a fleet-scoped strategy (one Redis for every cluster that uses it). */
export const FLEET_STORE = 'fleet';

/** How a worker ended, as the pool reports it. */
export interface WorkerEnd {
  code: number | null;
  signal: string | null;
  /** Why, when it was planned (POST /admin/crash, a reload, recycling, POST /admin/kill); null: it died. */
  reason: string | null;
}

export interface SinceResetView {
  since: string;
  baselines: Record<string, number | null>;
  verdicts: Record<string, CounterVerdict>;
  ghosts: Ghost[];
  feed: FeedEntry[];
}

export interface SinceReset {
  /** A worker's report, pushed or gathered: the one with the highest `seq` is kept. */
  report(stats: WorkerStats): void;
  addFeed(entries: readonly FeedEntry[]): void;
  /** A worker exited: it becomes a ghost with its last report. */
  exited(identity: WorkerIdentity, end: WorkerEnd): void;
  /**
   * A reset: `reset` are the workers' reports right after it, `silent` the last reports of those that
   * did not answer (their counts were not zeroed: they become their baselines), `stores` each shared
   * store's value now.
   */
  restart(reset: readonly WorkerStats[], silent: readonly WorkerStats[], stores: Record<string, number | null>): string;
  /** The latest report of a live worker (for one that did not answer a gather). */
  latestOf(id: number): WorkerStats | undefined;
  /** The view for /cluster, from the live workers' reports and the stores' values now. */
  view(live: readonly WorkerStats[], stores: Record<string, number | null>): SinceResetView;
}

interface Baseline {
  counters: Record<string, number | null>;
  increments: Record<string, number>;
}

/** Ghosts beyond GHOSTS_KEPT, added up per strategy. */
interface Folded {
  workers: number;
  before: Record<string, number>;
  held: Record<string, number>;
  increments: Record<string, number>;
}

export interface SinceResetOptions {
  instance: string;
  strategies: readonly CounterStrategy[];
  /** Whether a worker has not exited yet: a late report must not bring a ghost back. */
  isRunning: (id: number) => boolean;
  now?: () => Date;
}

const describeEnd = ({ code, signal }: WorkerEnd): string =>
  signal ? `killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;

const add = (record: Record<string, number>, key: string, value: number): void => {
  record[key] = (record[key] ?? 0) + value;
};

export const createSinceReset = ({
  instance,
  strategies,
  isRunning,
  now = () => new Date(),
}: SinceResetOptions): SinceReset => {
  let since = now().toISOString();
  let baselines: Record<string, number | null> = {};
  /** Each live worker's latest report, and when it reached the primary. */
  const latest = new Map<number, { stats: WorkerStats; at: string }>();
  /** Only workers whose counts were not zeroed at the reset; everyone else starts from 0. */
  const workerBaselines = new Map<number, Baseline>();
  let ghosts: { ghost: Ghost; baseline: Baseline | undefined }[] = [];
  let folded: Folded = { workers: 0, before: {}, held: {}, increments: {} };
  let feed: FeedEntry[] = [];

  const baseOf = (id: number, strategy: string): { counter: number; increments: number } => {
    const baseline = workerBaselines.get(id);
    return { counter: baseline?.counters[strategy] ?? 0, increments: baseline?.increments[strategy] ?? 0 };
  };

  const fold = (entry: { ghost: Ghost; baseline: Baseline | undefined }): void => {
    folded.workers += 1;
    for (const strategy of strategies) {
      const { name } = strategy;
      add(folded.before, name, entry.baseline?.counters[name] ?? 0);
      add(folded.held, name, entry.ghost.held[name] ?? 0);
      add(folded.increments, name, (entry.ghost.increments[name] ?? 0) - (entry.baseline?.increments[name] ?? 0));
    }
  };

  const judge = (
    strategy: CounterStrategy,
    live: readonly WorkerStats[],
    stores: Record<string, number | null>,
  ): CounterVerdict => {
    const { name, scope } = strategy;
    let expected = folded.increments[name] ?? 0;
    let largest: number | null = null;
    const storeBefore = baselines[name] ?? null;
    const seen = (max: number | undefined, before: number | null): void => {
      if (max === undefined || before === null) return;
      largest = Math.max(largest ?? Number.NEGATIVE_INFINITY, max - before);
    };
    const workers: WorkerPart[] = [];
    for (const stats of live) {
      const base = baseOf(stats.id, name);
      expected += (stats.increments[name] ?? 0) - base.increments;
      seen(stats.max_answers[name], scope === 'worker' ? base.counter : storeBefore);
      workers.push({ ...identityOf(stats), before: base.counter, after: stats.counters[name] ?? 0 });
    }
    for (const { ghost, baseline } of ghosts) {
      const before = baseline?.counters[name] ?? 0;
      expected += (ghost.increments[name] ?? 0) - (baseline?.increments[name] ?? 0);
      seen(ghost.max_answers[name], scope === 'worker' ? before : storeBefore);
      workers.push({ ...identityOf(ghost), before, after: null, heldAtDeath: ghost.held[name] ?? 0 });
    }
    if (folded.workers > 0) {
      workers.unshift({
        instance,
        id: 0,
        pid: 0,
        before: folded.before[name] ?? 0,
        after: null,
        heldAtDeath: folded.held[name] ?? 0,
        folded: folded.workers,
      });
    }
    const store: StorePart = {
      instance: scope === 'fleet' ? FLEET_STORE : instance,
      before: storeBefore,
      after: stores[name] ?? null,
    };
    return judgeCounterRun({
      strategy: name,
      scope,
      expected,
      largestSeen: largest,
      ...(scope === 'worker' ? { workers } : { stores: [store] }),
    });
  };

  /**
   * A store that could not be read at the reset (Redis down) is measured once it can be, provided
   * nothing was counted through it since: then its value now is its value at the reset.
   */
  const fillBaselines = (live: readonly WorkerStats[], stores: Record<string, number | null>): void => {
    for (const strategy of strategies) {
      const { name } = strategy;
      const value = stores[name] ?? null;
      if (strategy.scope === 'worker' || (baselines[name] ?? null) !== null || value === null) continue;
      const counted =
        live.some((stats) => (stats.increments[name] ?? 0) > 0) ||
        ghosts.some(({ ghost }) => (ghost.increments[name] ?? 0) > 0) ||
        (folded.increments[name] ?? 0) > 0;
      if (!counted) baselines[name] = value;
    }
  };

  return {
    report(stats) {
      if (!isRunning(stats.id)) return;
      const previous = latest.get(stats.id);
      if (previous === undefined || previous.stats.seq < stats.seq) {
        latest.set(stats.id, { stats, at: now().toISOString() });
      }
    },
    addFeed(entries) {
      if (entries.length === 0) return;
      feed = [...feed, ...entries].sort((a, b) => a.t - b.t).slice(-FEED_KEPT);
    },
    exited(identity, end) {
      const last = latest.get(identity.id);
      latest.delete(identity.id);
      const baseline = workerBaselines.get(identity.id);
      workerBaselines.delete(identity.id);
      ghosts.push({
        ghost: {
          ...identity,
          ended_at: now().toISOString(),
          exit: describeEnd(end),
          reason: end.reason,
          reported_at: last?.at ?? null,
          held: last?.stats.counters ?? {},
          increments: last?.stats.increments ?? {},
          max_answers: last?.stats.max_answers ?? {},
          requests: last?.stats.requests ?? 0,
          db_calls: last?.stats.db_calls ?? 0,
        },
        baseline,
      });
      while (ghosts.length > GHOSTS_KEPT) fold(ghosts.shift() as (typeof ghosts)[number]);
    },
    restart(reset, silent, stores) {
      since = now().toISOString();
      ghosts = [];
      folded = { workers: 0, before: {}, held: {}, increments: {} };
      feed = [];
      workerBaselines.clear();
      for (const stats of reset) this.report(stats);
      for (const stats of silent) {
        workerBaselines.set(stats.id, { counters: { ...stats.counters }, increments: { ...stats.increments } });
      }
      baselines = { ...stores };
      return since;
    },
    latestOf: (id) => latest.get(id)?.stats,
    view(live, stores) {
      fillBaselines(live, stores);
      return {
        since,
        baselines: { ...baselines },
        verdicts: Object.fromEntries(strategies.map((strategy) => [strategy.name, judge(strategy, live, stores)])),
        ghosts: ghosts.map(({ ghost }) => ghost),
        feed,
      };
    },
  };
};

const identityOf = ({ instance, id, pid }: WorkerIdentity): WorkerIdentity => ({ instance, id, pid });
