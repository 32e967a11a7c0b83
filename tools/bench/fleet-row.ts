// The price of the extra hop: /counter/redis through HAProxy in front of 2 hosts × 1 worker (the
// fleet, `npm run fleet`) against one cluster of 2 workers, both on the bench's redis-server, measured
// A B A B in the same run. The same Redis work per request on both sides, so the ratio is HAProxy's
// cost (one more process parsing and forwarding every request) plus a second primary.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { findHaproxy } from '../fleet/haproxy.js';
import { pidsOfFleet, startFleetProcess } from '../fleet/ready-event.js';
import { startServer } from '../lib/processes.js';
import { best, checkExact, meanCpu, measureWithCpu, spread } from './measure-route.js';
import type { ExactCheck, FleetComparison, FleetSide } from './result.js';
import { describeRoute } from './routes.js';
import type { BenchContext, LabArgs } from './run-bench.js';

export const FLEET_ROUTE = '/counter/redis';
const FLEET_HOSTS = 2;
const WORKERS_PER_HOST = 1;
const CLUSTER_WORKERS = FLEET_HOSTS * WORKERS_PER_HOST;

export interface FleetRowOptions {
  labCli: string;
  labArgs: LabArgs;
  labEnv: NodeJS.ProcessEnv;
  /** The bench's redis-server, for both sides (through REDIS_URL, as the fleet hands it to its hosts). */
  redisUrl: string | null;
  redisPids: readonly number[];
}

export interface FleetRowResult {
  comparison: FleetComparison | null;
  notes: string[];
}

const side = (runs: FleetSide['runs'], exact: ExactCheck): Omit<FleetSide, 'label'> => {
  const top = best(runs);
  return {
    runs,
    requests_per_s: top.requests_per_s,
    latency_p50_ms: top.latency_p50_ms,
    latency_p99_ms: top.latency_p99_ms,
    cpu_us_per_request: meanCpu(runs),
    exact,
  };
};

export const runFleetRow = async (
  { options, group, signal, progress, root, load }: BenchContext,
  { labCli, labArgs, labEnv, redisUrl, redisPids }: FleetRowOptions,
): Promise<FleetRowResult> => {
  if (!options.routes.includes(FLEET_ROUTE)) return { comparison: null, notes: [] };
  if (redisUrl === null) return { comparison: null, notes: ['The fleet row needs Redis: not measured.'] };
  const haproxy = await findHaproxy();
  if (haproxy === null) {
    return {
      comparison: null,
      notes: ['No haproxy on PATH (apt-get install -y haproxy): the fleet row was not measured.'],
    };
  }
  const { connections, durationS } = options;
  const env = { ...labEnv, REDIS_URL: redisUrl };
  const cluster = await startServer({
    group,
    label: `lab (${CLUSTER_WORKERS} workers)`,
    args: [labCli, ...labArgs(CLUSTER_WORKERS, await mkdtemp(join(root, 'data-fleet-cluster-')))],
    env,
  });
  const fleet = await startFleetProcess({
    group,
    args: [
      '--hosts',
      String(FLEET_HOSTS),
      '--workers',
      String(WORKERS_PER_HOST),
      '--port',
      '0',
      '--data-dir',
      await mkdtemp(join(root, 'data-fleet-')),
      '--',
      '--db-delay-ms',
      '0',
    ],
    env,
  });
  progress(
    `fleet: ${FLEET_HOSTS} hosts × ${WORKERS_PER_HOST} worker behind HAProxy ${fleet.ready.haproxy.version} on ${fleet.ready.url}, ready in ${fleet.ready.ready_ms} ms; cluster of ${CLUSTER_WORKERS} workers on ${cluster.url}`,
  );
  try {
    const clusterPids = [cluster.child.pid ?? 0, ...cluster.workerPids, ...redisPids];
    const fleetPids = [...pidsOfFleet(fleet.ready), ...redisPids];
    const route = describeRoute(FLEET_ROUTE);
    const common = { connections, durationS, paths: route.requestPaths };
    // Warm both (JIT, HAProxy's connection pools), then A B A B.
    await load({ ...common, baseUrl: cluster.url, durationS: Math.min(1, durationS) });
    await load({ ...common, baseUrl: fleet.ready.url, durationS: Math.min(1, durationS) });
    const clusterRuns = [];
    const fleetRuns = [];
    for (let round = 0; round < 2; round += 1) {
      signal.throwIfAborted();
      clusterRuns.push(await measureWithCpu(load, clusterPids, { ...common, baseUrl: cluster.url }));
      signal.throwIfAborted();
      fleetRuns.push(await measureWithCpu(load, fleetPids, { ...common, baseUrl: fleet.ready.url }));
    }
    signal.throwIfAborted();
    const clusterExact = await checkExact({ load, labUrl: cluster.url, connections }, route);
    // Through the balancer, /cluster is one host's; a fleet-scoped count is the one Redis value either way.
    const fleetExact = await checkExact({ load, labUrl: fleet.ready.url, connections }, route);
    const clusterSide = side(clusterRuns, clusterExact);
    const fleetSide = side(fleetRuns, fleetExact);
    const ratio = clusterSide.requests_per_s > 0 ? fleetSide.requests_per_s / clusterSide.requests_per_s : null;
    progress(
      `${FLEET_ROUTE} through HAProxy: ${Math.round(fleetSide.requests_per_s)} req/s vs ${Math.round(clusterSide.requests_per_s)} for one cluster: ${ratio?.toFixed(2)} ×`,
    );
    return {
      comparison: {
        route: FLEET_ROUTE,
        connections,
        haproxy: fleet.ready.haproxy.version,
        cluster: { label: `one cluster, ${CLUSTER_WORKERS} workers`, ...clusterSide },
        fleet: { label: `HAProxy → ${FLEET_HOSTS} hosts × ${WORKERS_PER_HOST} worker`, ...fleetSide },
        ratio,
        spread: Math.max(spread(clusterRuns), spread(fleetRuns)),
      },
      notes: [],
    };
  } finally {
    await group.stop(fleet.child);
    await group.stop(cluster.child);
  }
};
