// GET /fleet: every host's /cluster (asked directly on its own port, all at once, bounded), HAProxy's
// view of each host from its Runtime API, and each strategy's fleet-wide verdict since the baseline.
// Strategies come from the hosts' /cluster `strategies`: the fleet knows none by name.
import type { Scope } from '../../src/counters/strategy.js';
import type { ClusterStats, StrategyView, WorkerStats } from '../../src/stats.js';
import { type CounterVerdict, judgeCounterRun } from '../../src/verdict.js';
import { requestJson } from '../lib/http-json.js';
import type { Balance } from './args.js';
import { BACKEND } from './haproxy-config.js';
import type { FleetHost, HostExit, HostState } from './hosts.js';
import type { ProxyStat, RuntimeApi } from './runtime-api.js';
import { fleetCounterRun, type HostSnapshot, rememberWorkers } from './verdicts.js';

const CLUSTER_TIMEOUT_MS = 2000;

export interface FleetInfo {
  url: string;
  balance: Balance;
  hosts: number;
  workers_per_host: number;
  redis: { origin: 'url' | 'private' | 'none'; url: string | null; pid: number | null };
  haproxy: { pid: number; version: string; config: string; stats_socket: string };
  started_at: string;
}

export interface HostView {
  instance: string;
  /** The host's own address, beside the balancer (for a look at one host alone). */
  url: string;
  state: HostState;
  primary_pid: number | null;
  last_exit: HostExit | null;
  /** HAProxy's view of this host: status (UP, DOWN, DRAIN, MAINT…), sessions, requests, checks. */
  balancer: ProxyStat | null;
  /** Its /cluster; null when it did not answer (see `error`). */
  cluster: ClusterStats | null;
  error: string | null;
}

export interface FleetStrategy {
  scope: Scope;
  exact: boolean;
  route: string;
  /** Where the count lives, per host: a worker-scoped strategy's workers added up, a host's store. */
  per_host: Record<string, number | null>;
  /** A fleet-scoped strategy's one value (every host reads the same store); null for the others. */
  value: number | null;
  /** Since `baseline_at`; the answers are taken from the workers' own tally of increments. */
  verdict: CounterVerdict;
}

export interface FleetView {
  fleet: FleetInfo;
  baseline_at: string;
  /** HAProxy's frontend and backend lines; null when its Runtime API did not answer (`balancer_error`). */
  balancer: { frontend: ProxyStat | null; backend: ProxyStat | null } | null;
  balancer_error: string | null;
  hosts: HostView[];
  strategies: Record<string, FleetStrategy>;
}

const askCluster = async (host: FleetHost): Promise<{ cluster: ClusterStats | null; error: string | null }> => {
  if (host.state() === 'down') return { cluster: null, error: `${host.name} is down` };
  try {
    const { status, body } = await requestJson<ClusterStats>(`${host.url}/cluster`, { timeoutMs: CLUSTER_TIMEOUT_MS });
    return status === 200 ? { cluster: body, error: null } : { cluster: null, error: `/cluster answered ${status}` };
  } catch (error) {
    return { cluster: null, error: error instanceof Error ? error.message : String(error) };
  }
};

/** Each host's /cluster now, in parallel. */
export const snapshotHosts = async (hosts: readonly FleetHost[]) =>
  Promise.all(hosts.map(async (host) => ({ host, ...(await askCluster(host)) })));

/** The strategies as the hosts describe them (the first host that answers; they run the same lab). */
const strategiesOf = (snapshots: readonly HostSnapshot[]): Record<string, StrategyView> =>
  snapshots.find((snapshot) => snapshot.cluster !== null)?.cluster?.strategies ?? {};

export interface ViewState {
  /** The hosts as they were at the baseline. */
  baseline: HostSnapshot[];
  baselineAt: string;
  /** Every worker seen since the baseline, with its latest stats. */
  seen: Map<string, WorkerStats>;
}

/** A fresh baseline: from now on, verdicts count from these numbers. */
export const takeBaseline = async (hosts: readonly FleetHost[]): Promise<ViewState> => {
  const snapshots = (await snapshotHosts(hosts)).map(({ host, cluster }) => ({ instance: host.name, cluster }));
  const seen = new Map<string, WorkerStats>();
  rememberWorkers(seen, snapshots);
  return { baseline: snapshots, baselineAt: new Date().toISOString(), seen };
};

export interface BuildViewOptions {
  info: FleetInfo;
  hosts: readonly FleetHost[];
  api: RuntimeApi;
  state: ViewState;
}

export const buildFleetView = async ({ info, hosts, api, state }: BuildViewOptions): Promise<FleetView> => {
  const [snapshots, stats] = await Promise.all([
    snapshotHosts(hosts),
    api.showStat().then(
      (lines) => ({ lines, error: null }),
      (error: unknown) => ({ lines: [] as ProxyStat[], error: error instanceof Error ? error.message : String(error) }),
    ),
  ]);
  const now: HostSnapshot[] = snapshots.map(({ host, cluster }) => ({ instance: host.name, cluster }));
  rememberWorkers(state.seen, now);
  const line = (name: string): ProxyStat | null =>
    stats.lines.find((stat) => stat.proxy === BACKEND && stat.name === name) ?? null;

  const strategies: Record<string, FleetStrategy> = {};
  for (const [name, strategy] of Object.entries(strategiesOf([...now, ...state.baseline]))) {
    const run = fleetCounterRun({
      strategy: name,
      scope: strategy.scope,
      before: state.baseline,
      after: now,
      lastSeen: state.seen,
    });
    const perHost = Object.fromEntries(
      now.map((host) => [host.instance, host.cluster?.strategies[name]?.value ?? null] as const),
    );
    strategies[name] = {
      scope: strategy.scope,
      exact: strategy.exact,
      route: strategy.route,
      per_host: perHost,
      value:
        strategy.scope === 'fleet'
          ? (Object.values(perHost).find((value): value is number => value !== null) ?? null)
          : null,
      verdict: judgeCounterRun(run),
    };
  }
  return {
    fleet: info,
    baseline_at: state.baselineAt,
    balancer:
      stats.error === null
        ? {
            frontend: stats.lines.find((stat) => stat.name === 'FRONTEND' && stat.proxy === 'fleet') ?? null,
            backend: line('BACKEND'),
          }
        : null,
    balancer_error: stats.error,
    hosts: snapshots.map(({ host, cluster, error }) => ({
      instance: host.name,
      url: host.url,
      state: host.state(),
      primary_pid: host.primaryPid(),
      last_exit: host.lastExit(),
      balancer: line(host.name),
      cluster,
      error,
    })),
    strategies,
  };
};
