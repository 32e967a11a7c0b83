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
  /** The better of the two baseline runs interleaved with this route's (A B A B). */
  baseline_requests_per_s: number | null;
  /** requests_per_s / baseline_requests_per_s. */
  ratio: number | null;
  /** How far apart the two runs of a side were (0.3 = 30 % of the better one): the machine's noise. */
  spread: number | null;
  /**
   * CPU time (user + system) the lab's processes (primary, workers, and the bench's redis-server)
   * spent per answered request, mean of the two runs, in µs. Steadier than requests/s on a busy machine.
   */
  cpu_us_per_request: number | null;
  /** The same for the baseline's processes during its runs. */
  baseline_cpu_us_per_request: number | null;
  non_2xx: number;
  errors: number;
  /** Counter routes only; null for user routes and unavailable routes. */
  exact: ExactCheck | null;
  runs: { baseline: LoadSummary[]; lab: LoadSummary[] };
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

export interface BenchResult {
  version: 1;
  started_at: string;
  elapsed_s: number;
  machine: MachineInfo;
  command: string;
  options: { workers: number; connections: number; duration_s: number; routes: string[] };
  lab: {
    command: string;
    workers: number;
    ready_ms: number;
    /** VmRSS of each worker right after start, and again once idle after every measurement, in MB. */
    worker_rss_mb: { idle_at_start: number[]; idle_after_load: number[] };
  };
  baseline: { command: string; workers: number; requests_per_s: number | null };
  /** The lab at 4 workers: start-up time and RSS from its banner's pids. */
  four_workers: { ready_ms: number; worker_rss_mb_idle: number[] } | null;
  routes: RouteResult[];
  file_comparison: FileComparison | null;
  /** The fleet row; null when /counter/redis was not asked for, or without Redis or HAProxy (see notes). */
  fleet_comparison: FleetComparison | null;
  targets: TargetResult[];
  notes: string[];
  /** Every pid the bench started (servers and their workers, redis-server, autocannon, lock workers); all gone when it exits. */
  pids: number[];
}
