// What a counter strategy is: a small object behind one interface (`increment()`), and a scope that
// says where its state lives and so who shares it. Adding a strategy is one file that exports a
// CounterStrategy plus one line in registry.ts; the routes, /stats, /cluster, the metrics, the
// dashboard and the bench all learn it from the registry.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { WorkerChannel, WorkerRequests } from '../ipc/protocol.js';

/**
 * Where a strategy's state lives, and so who shares it — the lab's ladder:
 * - `worker`: this process's memory; every worker has its own copy.
 * - `host`: one place per cluster or machine (the primary's memory, one disk); every worker of it shares it.
 * - `fleet`: a server outside the clusters (Redis); every cluster that uses the same one shares it.
 */
export type Scope = 'worker' | 'host' | 'fleet';
export const SCOPES: readonly Scope[] = ['worker', 'host', 'fleet'];

/** An increment's answer with a strategy's own fields for the body (redis-watch's `retries`). */
export interface CounterAnswer {
  value: number;
  /** Merged into the response body next to `current_count`. */
  extra: Record<string, number | string | boolean>;
}

/** One worker's instance of a strategy. */
export interface Counter {
  /** The strategy's name: its route is `/counter/<name>`. */
  readonly name: string;
  /** Add one; resolves to the value this increment produced. */
  increment(): Promise<number>;
  /**
   * Optional fast path: add one and return the value at once, when the strategy can do it without
   * waiting (the local counter while its lock is free); undefined means "use increment()". A route
   * that answers without a promise skips a good part of the framework's per-request work.
   */
  incrementNow?(): number | undefined;
  /**
   * Optional: add one and say more than the value. The route uses it instead of increment() when it
   * is there, so the strategies that have nothing to add keep their path as it was.
   */
  incrementWithDetails?(): Promise<CounterAnswer>;
  /** Optional: this worker's own numbers about the strategy (redis-watch's aborts), for /stats and /cluster. */
  stats?(): Record<string, number>;
  /** The latest value this process knows of, without doing any I/O (for /stats). */
  peek(): number | null;
  /** Forget this process's part: a local count goes to 0, a shared counter's last seen value to null. */
  reset(): void;
}

/** What a strategy's worker half is built with. */
export interface WorkerSide {
  config: Config;
  /** This worker's Redis connection; null without Redis (Redis strategies then answer 503). */
  redis: Redis | null;
  /** The worker's channel to its primary. */
  channel: WorkerChannel;
}

type Reply<K extends keyof WorkerRequests> = WorkerRequests[K]['reply'];

/** What a strategy's primary half is built with. */
export interface PrimarySide {
  config: Config;
  /** The primary's own Redis connection; null without Redis. */
  redis: Redis | null;
  /** Answer a worker request from every worker, present and future (the ipc counter's increments). */
  handle<K extends keyof WorkerRequests & string>(
    type: K,
    handler: (body: WorkerRequests[K]['request']) => Reply<K> | Promise<Reply<K>>,
  ): void;
}

/** A shared strategy's one true value, as the primary reads and resets it. */
export interface SharedStorage {
  /** The value now; null when it cannot be read (Redis down, file unreadable). Never rejects. */
  read(): Promise<number | null>;
  /** Back to 0 (POST /admin/reset?shared=1). */
  reset(): Promise<void>;
}

export interface CounterStrategy {
  /** Route `/counter/<name>`; also its name in /cluster, the metrics and the dashboard. */
  readonly name: string;
  readonly scope: Scope;
  /**
   * Does it promise an exact count within its scope (N answers, final value N)? The unsafe ones do
   * not: that is their lesson.
   */
  readonly exact: boolean;
  /** One line for people: where the state lives. */
  readonly summary: string;
  /**
   * What the count outlives: a worker's crash (it is not in that worker), a restart of the whole
   * cluster (it is not in any of its processes' memory). A plain POST /admin/reset zeroes what a
   * restart would lose anyway; `?shared=1` also what it would not.
   */
  readonly survives: { crash: boolean; restart: boolean };
  /** This worker's counter. */
  createCounter(side: WorkerSide): Counter;
  /**
   * Host and fleet strategies: the storage as the primary sees it. Worker-scoped ones have none —
   * their state is only in the workers.
   */
  createStorage?(side: PrimarySide): SharedStorage;
}

/** The value a shared strategy's counter last saw, behind the Counter's peek/reset. */
export const lastSeen = () => {
  let value: number | null = null;
  return {
    record: (next: number): number => {
      value = next;
      return next;
    },
    peek: (): number | null => value,
    reset: (): void => {
      value = null;
    },
  };
};
