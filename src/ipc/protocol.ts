// What the primary and a worker say to each other: one type map per direction. A request's entry
// names its body and its reply's body, so `channel.request('cluster-stats', null, …)` is typed by
// this table alone. A strategy that talks to the primary adds its own entry from its own file
// (declaration merging, as counters/ipc.ts does), so the table never needs editing for one.
import type { Config } from '../config.js';
import type { ErrorCode } from '../errors.js';
import type { ClusterStats, FeedEntry, RedisView, WorkerIdentity, WorkerStats } from '../stats.js';
import { Channel, type Port } from './channel.js';

/** What POST /admin/reset did. */
export interface ResetResult {
  workers: number;
  ipc: boolean;
  /** The host- and fleet-scoped counters too (only with ?shared=1). */
  shared: boolean;
  /** What could not be reset (e.g. Redis down). */
  errors: string[];
  /** Cache entries deleted from Redis (only with ?shared=1; 0 otherwise). */
  redis_cache_keys: number;
  /** The moment "since the reset" now starts. */
  since: string;
}

/** What POST /admin/keep-alive did. */
export interface KeepAliveResult {
  keep_alive: boolean;
  /** Workers told. */
  workers: number;
}

/** What POST /admin/reload started. */
export interface ReloadResult {
  /** false when a reload or a shutdown is already under way. */
  started: boolean;
  workers: number;
}

/** One POST to an admin route, as the worker saw it: never the token itself, only whether it was right. */
export interface AdminAttempt {
  /** The client's address, as the socket says (a proxy in front makes it the proxy's). */
  address: string;
  /** The token was present and right. */
  ok: boolean;
  /** The path asked for, for the log. */
  path: string;
}

/**
 * What the primary, which keeps the tally of failed attempts for the whole cluster, rules:
 * `allowed` (right token, address not blocked), `unauthorized` (a wrong or missing token, counted)
 * or `blocked` (too many failures from this address lately: refused whatever the token).
 */
export interface AdminVerdict {
  verdict: 'allowed' | 'unauthorized' | 'blocked';
  /** When blocked: seconds until the address may try again. */
  retryAfterS: number;
}

/** Metrics as prom-client's getMetricsAsJSON() gives them, ready for AggregatorRegistry.aggregate. */
export type MetricsJson = object[];

/** Requests a worker sends and the primary answers. */
export interface WorkerRequests {
  /** The first word of every worker: its config, secrets included (never through the environment). */
  boot: { request: null; reply: { config: Config } };
  'cluster-stats': { request: null; reply: ClusterStats };
  metrics: { request: null; reply: { text: string; contentType: string } };
  reset: { request: { shared: boolean }; reply: ResetResult };
  reload: { request: null; reply: ReloadResult };
  /** Before an admin route runs: may this attempt go ahead? (Counted cluster-wide, per address.) */
  'admin-attempt': { request: AdminAttempt; reply: AdminVerdict };
  /** POST /admin/kill: SIGKILL worker `id` (`from`: the asking worker, which then gets its answer out first). */
  'kill-worker': { request: { id: number; from: number }; reply: WorkerIdentity };
  /** POST /admin/redis/stop|start: the private redis-server only, never a --redis-url one. */
  'redis-control': { request: { action: 'stop' | 'start' }; reply: RedisView };
  /** POST /admin/keep-alive: switch keep-alive for every worker, present and future. */
  'keep-alive': { request: { on: boolean }; reply: KeepAliveResult };
}

/** Requests the primary sends and a worker answers. */
export interface PrimaryRequests {
  stats: { request: null; reply: WorkerStats };
  'collect-metrics': { request: null; reply: MetricsJson };
  /** A clean slate in this worker's memory; the reply is its stats right after (the new baseline). */
  'reset-local': { request: null; reply: WorkerStats };
  /** Are you there? Answered from the event loop, so silence means a stopped or blocked worker. */
  heartbeat: { request: null; reply: null };
}

/** Notices a worker sends the primary. */
export interface WorkerNotices {
  /** The worker cannot serve (port taken, address not ours): the primary stops the cluster. */
  fatal: { code: ErrorCode; message: string };
  /** A draining worker's metrics once its last response is written, so /metrics keeps its final counts. */
  'last-metrics': { id: number; metrics: MetricsJson };
  /**
   * This worker is about to exit on purpose (POST /admin/crash): replace it and count the restart,
   * but do not count it towards a crash loop.
   */
  exiting: { reason: string };
  /**
   * This worker's stats and its newest requests, sent at most every STATS_REPORT_INTERVAL_MS while
   * they change, and once more as it leaves on purpose: what the primary shows of it once it is gone.
   */
  report: { stats: WorkerStats; feed: FeedEntry[] };
}

/** Notices the primary sends a worker. */
export interface PrimaryNotices {
  /**
   * Stop accepting, finish what is in flight, exit. `signals`: the primary's shutdown comes from a
   * signal, its `signals`-th: the first fails /healthz for --shutdown-delay-ms before the drain, a
   * second skips the rest of that wait. Without it (reload, recycling, a fatal error) drain at once.
   */
  shutdown: { reason: string; signals?: number };
  /** Keep connections open from now on, or close each after its response. */
  'keep-alive': { on: boolean };
}

/** A worker's end: it asks the primary and answers the primary's requests. */
export type WorkerChannel = Channel<WorkerRequests, WorkerNotices, PrimaryRequests, PrimaryNotices>;
/** The primary's end of one worker's channel. */
export type PrimaryChannel = Channel<PrimaryRequests, PrimaryNotices, WorkerRequests, WorkerNotices>;

export const createWorkerChannel = (port: Port): WorkerChannel => new Channel(port);
export const createPrimaryChannel = (port: Port): PrimaryChannel => new Channel(port);
