// The shape of one bench run: what --json prints and what BENCHMARKS.md is written from.
import type { LoadSummary } from './load.js';
import type { LockfileMeasurement } from './lockfile-counter.js';

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  os: string;
  node: string;
  /** `redis-server --version`, null without one on PATH. */
  redis: string | null;
  load_average_at_start: number[];
}

/** N requests sent in autocannon's amount mode, and how far the counter moved meanwhile. */
export interface ExactCheck {
  requests: number;
  ok_2xx: number;
  counted: number;
  exact: boolean;
}

export interface RouteResult {
  route: string;
  kind: 'counter' | 'user';
  available: boolean;
  /** Why a route was not measured (404 in this lab, 503, …); null when it was. */
  reason: string | null;
  /** The lab's better run of its two (B), with that run's latencies; null when not available. */
  requests_per_s: number | null;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  /** The better of the two runs of the platform floor (bare node:http) interleaved with this route's. */
  baseline_requests_per_s: number | null;
  /** requests_per_s / baseline_requests_per_s. */
  ratio: number | null;
  /** The better of the two runs of the framework floor (a minimal Hono app) interleaved with this route's. */
  hono_requests_per_s: number | null;
  /** requests_per_s / hono_requests_per_s. */
  hono_ratio: number | null;
  /** How far apart the two runs of a side were (0.3 = 30 % of the better one): the machine's noise. */
  spread: number | null;
  /**
   * CPU time (user + system) the lab's processes (primary, workers, and the bench's redis-server)
   * spent per answered request, mean of the two runs, in µs. Steadier than requests/s on a busy machine.
   */
  cpu_us_per_request: number | null;
  /** The same for the bare floor's processes during its runs. */
  baseline_cpu_us_per_request: number | null;
  /** The same for the Hono floor's processes during its runs. */
  hono_cpu_us_per_request: number | null;
  non_2xx: number;
  errors: number;
  /** Counter routes only; null for user routes and unavailable routes. */
  exact: ExactCheck | null;
  /**
   * The strategy's own figures over the lab's two timed runs, all workers together (the file
   * counter: commits, batched, lock_wait_ms); null when it keeps none.
   */
  strategy_stats: Record<string, number> | null;
  runs: { baseline: LoadSummary[]; hono: LoadSummary[]; lab: LoadSummary[] };
}

export interface FileComparison {
  workers: number;
  connections: number;
  /** The lab's /counter/file at `workers` workers, one measurement. */
  lab: LoadSummary;
  lab_exact: ExactCheck;
  lockfile: LockfileMeasurement;
  /** lab requests/s ÷ lockfile increments/s. */
  ratio: number | null;
}

/** One side of the fleet row: its two runs, the better one's figures, and its exactness check. */
export interface FleetSide {
  label: string;
  runs: LoadSummary[];
  requests_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  /** Every process serving it (HAProxy, the hosts' primaries and workers, redis-server), per answered request. */
  cpu_us_per_request: number | null;
  exact: ExactCheck;
}

/** /counter/redis through HAProxy (2 hosts × 1 worker) against one cluster of 2 workers, A B A B. */
export interface FleetComparison {
  route: string;
  connections: number;
  /** HAProxy's version. */
  haproxy: string;
  cluster: FleetSide;
  fleet: FleetSide;
  /** fleet requests/s ÷ cluster requests/s: the price of the extra hop. */
  ratio: number | null;
  spread: number;
}

export interface TargetResult {
  id: string;
  target: string;
  /** The measured figure the target is about (a ratio, ms, MB); null when not measured. */
  measured: number | null;
  /** How the measurement reads in the table. */
  detail: string;
  /** null: could not be measured in this run. */
  met: boolean | null;
}

/** The lab's workers' resident memory (VmRSS), in MB. */
export interface WorkerRss {
  /** Right after start. */
  idle_at_start: number[];
  /** Once idle after the load: back within the target of the start, or when the bench stopped waiting. */
  idle_after_load: number[];
  /** One second after the last load: the load's high-water mark. */
  right_after_load: number[];
  /** Seconds from the last load to `idle_after_load`. */
  settled_after_s: number;
}

/** Every asked route at one worker count: the lab and both floors each started with that many workers. */
export interface ScalingStep {
  workers: number;
  ready_ms: number;
  worker_rss_mb: WorkerRss;
  routes: RouteResult[];
}

export interface BenchResult {
  version: 1;
  started_at: string;
  elapsed_s: number;
  machine: MachineInfo;
  command: string;
  options: { workers: number; connections: number; duration_s: number; routes: string[]; scaling: number[] };
  lab: {
    command: string;
    workers: number;
    ready_ms: number;
    worker_rss_mb: WorkerRss;
  };
  hono: { command: string; workers: number };
  baseline: { command: string; workers: number; requests_per_s: number | null };
  /** The lab at 4 workers: start-up time and RSS from its banner's pids. */
  four_workers: { ready_ms: number; worker_rss_mb_idle: number[] } | null;
  /** The routes at `options.workers` workers (the same objects as in `scaling`). */
  routes: RouteResult[];
  /** Every route at each worker count of `options.scaling`, in that order. */
  scaling: ScalingStep[];
  file_comparison: FileComparison | null;
  /** The fleet row; null when /counter/redis was not asked for, or without Redis or HAProxy (see notes). */
  fleet_comparison: FleetComparison | null;
  targets: TargetResult[];
  notes: string[];
  /** Every pid the bench started (servers and their workers, redis-server, autocannon, lock workers); all gone when it exits. */
  pids: number[];
}
