// Fleet-wide verdicts, judged by src/verdict.ts like every other verdict of the lab. This file only
// gathers the facts from two snapshots of the fleet (each host's /cluster, before and after a run):
// the stores of a strategy by its scope — one per worker, one per host (its primary's memory, its
// disk), or one for the whole fleet (Redis) — and, when the caller did not watch the answers itself,
// what the counts say the answers were.
import type { Scope } from '../../src/counters/strategy.js';
import type { ClusterStats, WorkerStats } from '../../src/stats.js';
import type { CounterRun, StorePart, WorkerPart } from '../../src/verdict.js';

/** The name of the one store of a fleet-scoped strategy (a server outside every host). */
export const FLEET_STORE = 'fleet';

/** What a snapshot needs of a host: its name and its /cluster (null when it did not answer). */
export interface HostSnapshot {
  instance: string;
  cluster: ClusterStats | null;
}

const workerKey = (worker: { instance: string; pid: number }): string => `${worker.instance}/${worker.pid}`;

const liveWorkers = (hosts: readonly HostSnapshot[]): Map<string, WorkerStats> =>
  new Map(hosts.flatMap((host) => (host.cluster?.workers ?? []).map((worker) => [workerKey(worker), worker] as const)));

const unresponsiveWorkers = (hosts: readonly HostSnapshot[]): Set<string> =>
  new Set(hosts.flatMap((host) => (host.cluster?.unresponsive ?? []).map(workerKey)));

const sharedValue = (host: HostSnapshot | undefined, strategy: string): number | null =>
  host?.cluster?.shared_counters[strategy] ?? null;

export interface FleetRunInput {
  strategy: string;
  scope: Scope;
  before: readonly HostSnapshot[];
  after: readonly HostSnapshot[];
  /** Workers seen between the snapshots, by `instance/pid`, with their last stats: what a dead one held. */
  lastSeen?: ReadonlyMap<string, WorkerStats>;
  /** 2xx answers with a count, as a client saw them; omitted: the workers' own tally of increments. */
  expected?: number;
  /** The largest answer a client saw, over its baseline; omitted: what the counts say it was. */
  largestSeen?: number | null;
}

const workerParts = ({ strategy, before, after, lastSeen }: FleetRunInput): WorkerPart[] => {
  const was = liveWorkers(before);
  const now = liveWorkers(after);
  const silent = unresponsiveWorkers(after);
  const keys = new Set([...was.keys(), ...now.keys(), ...(lastSeen?.keys() ?? [])]);
  return [...keys].map((key) => {
    const old = was.get(key);
    const current = now.get(key);
    const last = lastSeen?.get(key) ?? old;
    const identity = current ?? last ?? (old as WorkerStats);
    const beforeCount = old?.counters[strategy] ?? 0;
    if (current !== undefined) {
      return {
        instance: identity.instance,
        id: identity.id,
        pid: identity.pid,
        before: beforeCount,
        after: current.counters[strategy] ?? 0,
      };
    }
    const held = last?.counters[strategy] ?? beforeCount;
    // Alive but too busy to answer this time: its last count, not a death.
    if (silent.has(key))
      return { instance: identity.instance, id: identity.id, pid: identity.pid, before: beforeCount, after: held };
    return {
      instance: identity.instance,
      id: identity.id,
      pid: identity.pid,
      before: beforeCount,
      after: null,
      heldAtDeath: held,
    };
  });
};

const storeParts = ({ strategy, scope, before, after }: FleetRunInput): StorePart[] => {
  if (scope === 'fleet') {
    // Every host reads the same Redis: the first that answers speaks for it.
    const first = (hosts: readonly HostSnapshot[]): number | null =>
      hosts.map((host) => sharedValue(host, strategy)).find((value) => value !== null) ?? null;
    return [{ instance: FLEET_STORE, before: first(before), after: first(after) }];
  }
  const names = [...new Set([...before, ...after].map((host) => host.instance))];
  return names.map((instance) => ({
    instance,
    before: sharedValue(
      before.find((host) => host.instance === instance),
      strategy,
    ),
    after: sharedValue(
      after.find((host) => host.instance === instance),
      strategy,
    ),
  }));
};

/** Increments the workers report having answered between the snapshots (a dead worker's from its last stats). */
export const countedIncrements = (input: FleetRunInput): number => {
  const was = liveWorkers(input.before);
  const now = liveWorkers(input.after);
  const keys = new Set([...now.keys(), ...(input.lastSeen?.keys() ?? [])]);
  let total = 0;
  for (const key of keys) {
    const latest = now.get(key) ?? input.lastSeen?.get(key);
    total += (latest?.increments[input.strategy] ?? 0) - (was.get(key)?.increments[input.strategy] ?? 0);
  }
  return Math.max(0, total);
};

/** The largest count any one store (or worker) reached over its baseline: the largest answer it could have given. */
const largestHeld = (scope: Scope, workers: readonly WorkerPart[], stores: readonly StorePart[]): number | null => {
  const gains =
    scope === 'worker'
      ? workers.map((worker) => (worker.after ?? worker.heldAtDeath ?? worker.before) - worker.before)
      : stores.flatMap((store) => (store.before === null || store.after === null ? [] : [store.after - store.before]));
  return gains.length === 0 ? null : Math.max(...gains);
};

/** The facts of one strategy's run across the fleet, for judgeCounterRun. */
export const fleetCounterRun = (input: FleetRunInput): CounterRun => {
  const workers = input.scope === 'worker' ? workerParts(input) : [];
  const stores = input.scope === 'worker' ? [] : storeParts(input);
  return {
    strategy: input.strategy,
    scope: input.scope,
    expected: input.expected ?? countedIncrements(input),
    ...(input.scope === 'worker' ? { workers } : { stores }),
    largestSeen: input.largestSeen === undefined ? largestHeld(input.scope, workers, stores) : input.largestSeen,
  };
};

/** Remember every worker's latest stats, so that a worker that dies later still counts with what it held. */
export const rememberWorkers = (memory: Map<string, WorkerStats>, hosts: readonly HostSnapshot[]): void => {
  for (const [key, worker] of liveWorkers(hosts)) memory.set(key, worker);
};

/** One answer a client saw, with who gave it (the body's `worker`, or the x-worker-* headers). */
export interface SeenAnswer {
  instance: string;
  pid: number;
  count: number;
}

/**
 * The largest answer a client saw, each over the baseline of whoever answered it: its worker's count
 * (worker scope), its host's store (host scope), the one store (fleet scope). Null with no answer.
 */
export const largestOverBaseline = (
  { strategy, scope, before }: Pick<FleetRunInput, 'strategy' | 'scope' | 'before'>,
  answers: readonly SeenAnswer[],
): number | null => {
  if (answers.length === 0) return null;
  const workers = liveWorkers(before);
  const fleetBefore = storeParts({ strategy, scope: 'fleet', before, after: [] })[0]?.before ?? 0;
  let largest = Number.NEGATIVE_INFINITY;
  for (const answer of answers) {
    const base =
      scope === 'worker'
        ? (workers.get(workerKey(answer))?.counters[strategy] ?? 0)
        : scope === 'host'
          ? (sharedValue(
              before.find((host) => host.instance === answer.instance),
              strategy,
            ) ?? 0)
          : fleetBefore;
    largest = Math.max(largest, answer.count - base);
  }
  return largest;
};
