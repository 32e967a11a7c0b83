// A counter run judged from measured baselines, for the hammer and the demo: read every cluster's
// /cluster before the run and again after it (settled), then hand src/verdict.ts what each worker
// and each store held before and after, who died (the ghosts /cluster keeps), and the answers. The
// dashboard gets its verdicts from the same module through the primary, so the two never disagree
// on what "lost" means. Workers are known by (instance, pid): ids repeat across clusters.
import { sleep } from '../../src/sleep.js';
import type { ClusterStats, Ghost, WorkerStats } from '../../src/stats.js';
import { type CounterVerdict, judgeCounterRun, type StorePart, type WorkerPart } from '../../src/verdict.js';
import { requestJson } from './http-json.js';

/** One cluster's /cluster, or why it could not be read. */
export type Snapshot = { origin: string; stats: ClusterStats } | { origin: string; error: string };

/** What the answers of a run say about one strategy. */
export interface RunAnswers {
  strategy: string;
  /** 2xx answers that carried a current_count. */
  expected: number;
  /** The largest current_count each worker answered, by who answered it. */
  largest: readonly { instance: string | null; id: number | null; pid: number | null; max: number }[];
}

/** One worker's part, as the hammer's table shows it. */
export interface WorkerBaseline {
  instance: string;
  id: number;
  pid: number;
  before: number;
  /** null: it died during the run. */
  after: number | null;
}

export interface JudgedRun {
  verdict: CounterVerdict;
  /** Worker scope only: each worker's count before and after. */
  workers: WorkerBaseline[];
}

const CLUSTER_TIMEOUT_MS = 5000;
const SETTLE_INTERVAL_MS = 150;
const SETTLE_TIMEOUT_MS = 5000;

const isLab = (body: unknown): body is ClusterStats => {
  const stats = body as Partial<ClusterStats> | null;
  return (
    typeof stats?.strategies === 'object' && Array.isArray(stats.workers) && typeof stats.shared_counters === 'object'
  );
};

/** The distinct origins of some URLs (two URLs into one cluster are one cluster). */
export const originsOf = (urls: readonly string[]): string[] => [...new Set(urls.map((url) => new URL(url).origin))];

const readOne = async (origin: string): Promise<Snapshot> => {
  try {
    const { status, body } = await requestJson<unknown>(`${origin}/cluster`, { timeoutMs: CLUSTER_TIMEOUT_MS });
    if (status !== 200) return { origin, error: `${origin}/cluster answered ${status}` };
    if (!isLab(body)) return { origin, error: `${origin}/cluster is not a cluster-state-lab /cluster` };
    return { origin, stats: body };
  } catch (error) {
    return { origin, error: `${origin}/cluster: ${error instanceof Error ? error.message : String(error)}` };
  }
};

/** What a fleet's /fleet says of its hosts: each host's own /cluster, or why it could not be read. */
interface FleetHosts {
  hosts: { instance: string; url: string; cluster: ClusterStats | null; error: string | null }[];
}

const isFleet = (body: unknown): body is FleetHosts =>
  Array.isArray((body as Partial<FleetHosts> | null)?.hosts) && typeof (body as { fleet?: unknown }).fleet === 'object';

/**
 * A fleet behind a load balancer (npm run fleet) answers /fleet with every host's /cluster: one
 * snapshot per host then, since /cluster through the balancer would show whichever host answered.
 * Anything else (a lab's 404, a plain server) means: not a fleet.
 */
const readFleet = async (origin: string): Promise<Snapshot[] | undefined> => {
  const answer = await requestJson<unknown>(`${origin}/fleet`, { timeoutMs: CLUSTER_TIMEOUT_MS }).catch(
    () => undefined,
  );
  if (answer?.status !== 200 || !isFleet(answer.body)) return undefined;
  return answer.body.hosts.map((host) =>
    host.cluster !== null && isLab(host.cluster)
      ? { origin: host.url, stats: host.cluster }
      : { origin: host.url, error: `${host.instance}: ${host.error ?? 'no /cluster'}` },
  );
};

/** Every origin's /cluster now; a fleet's origin gives one snapshot per host. */
export const readSnapshots = async (origins: readonly string[]): Promise<Snapshot[]> =>
  (await Promise.all(origins.map(async (origin) => (await readFleet(origin)) ?? [await readOne(origin)]))).flat();

/** What a strategy's verdict depends on, to tell whether two readings agree. */
const factsOf = (snapshots: readonly Snapshot[], strategy: string): string =>
  JSON.stringify(
    snapshots.map((snapshot) =>
      'error' in snapshot
        ? snapshot.error
        : [
            snapshot.stats.workers.map((worker) => [
              worker.pid,
              worker.counters[strategy],
              worker.increments[strategy],
            ]),
            snapshot.stats.unresponsive.length,
            (snapshot.stats.ghosts ?? []).map((ghost) => ghost.pid),
            snapshot.stats.shared_counters[strategy],
          ],
    ),
  );

/**
 * /cluster after a run, once two readings in a row agree on `strategy`: increments still committing
 * (a file counter's queued batch) and a dead worker's replacement have then settled.
 */
export const readSettled = async (origins: readonly string[], strategy: string): Promise<Snapshot[]> => {
  let last = await readSnapshots(origins);
  for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; Date.now() < deadline; ) {
    await sleep(SETTLE_INTERVAL_MS);
    const next = await readSnapshots(origins);
    if (factsOf(next, strategy) === factsOf(last, strategy)) return next;
    last = next;
  }
  return last;
};

/** Why these snapshots cannot judge a run, or undefined when they can. */
export const unreadable = (snapshots: readonly Snapshot[]): string | undefined => {
  const failed = snapshots.flatMap((snapshot) => ('error' in snapshot ? [snapshot.error] : []));
  return failed.length === 0 ? undefined : failed.join('; ');
};

const instanceOf = (stats: ClusterStats & { served_by?: { instance?: string } }): string =>
  stats.served_by?.instance ?? stats.workers[0]?.instance ?? 'cluster';
const keyOf = (instance: string | null, pid: number | null): string => `${instance ?? '?'}/${pid ?? '?'}`;

const statsOf = (snapshots: readonly Snapshot[]): ClusterStats[] =>
  snapshots.flatMap((snapshot) => ('error' in snapshot ? [] : [snapshot.stats]));

/** Judge a run of `answers.strategy` from /cluster before and after it (both readable). */
export const judgeRun = (
  answers: RunAnswers,
  beforeSnaps: readonly Snapshot[],
  afterSnaps: readonly Snapshot[],
): JudgedRun => {
  const before = statsOf(beforeSnaps);
  const after = statsOf(afterSnaps);
  const { strategy } = answers;
  const scope = after[0]?.strategies[strategy]?.scope ?? before[0]?.strategies[strategy]?.scope ?? 'worker';

  const workersBefore = new Map<string, WorkerStats>();
  for (const stats of before)
    for (const worker of stats.workers) workersBefore.set(keyOf(worker.instance, worker.pid), worker);
  const workersAfter = new Map<string, WorkerStats>();
  for (const stats of after)
    for (const worker of stats.workers) workersAfter.set(keyOf(worker.instance, worker.pid), worker);
  const ghostsBefore = new Set(
    before.flatMap((stats) => (stats.ghosts ?? []).map((ghost) => keyOf(ghost.instance, ghost.pid))),
  );
  const died = new Map<string, Ghost>();
  for (const stats of after) {
    for (const ghost of stats.ghosts ?? []) {
      const key = keyOf(ghost.instance, ghost.pid);
      if (!ghostsBefore.has(key)) died.set(key, ghost);
    }
  }

  const countOf = (worker: { counters: Record<string, number | null> } | undefined): number =>
    worker?.counters[strategy] ?? 0;
  const parts: WorkerPart[] = [];
  for (const key of new Set([...workersBefore.keys(), ...workersAfter.keys(), ...died.keys()])) {
    const then = workersBefore.get(key);
    const now = workersAfter.get(key);
    const ghost = died.get(key);
    const identity = now ?? then ?? (ghost as Ghost);
    const part: WorkerPart = {
      instance: identity.instance,
      id: identity.id,
      pid: identity.pid,
      before: countOf(then),
      after: now === undefined ? null : countOf(now),
    };
    if (now === undefined && ghost !== undefined) part.heldAtDeath = ghost.held[strategy] ?? 0;
    parts.push(part);
  }

  // Host scope: one store per cluster. Fleet scope: one per Redis, however many clusters use it.
  const stores: StorePart[] = [];
  const storeOfInstance = new Map<string, StorePart>();
  after.forEach((stats, index) => {
    const then = before[index];
    const instance = instanceOf(stats);
    const name = scope === 'fleet' ? `redis ${stats.redis.url ?? '(none)'}` : instance;
    let store = stores.find((candidate) => candidate.instance === name);
    if (store === undefined) {
      store = {
        instance: name,
        before: then?.shared_counters[strategy] ?? null,
        after: stats.shared_counters[strategy] ?? null,
      };
      stores.push(store);
    }
    storeOfInstance.set(instance, store);
  });

  // The largest answer over the baseline of whoever gave it: its own count, or its store's.
  let largestSeen: number | null = null;
  for (const { instance, pid, max } of answers.largest) {
    const base =
      scope === 'worker'
        ? countOf(workersBefore.get(keyOf(instance, pid)))
        : (storeOfInstance.get(instance ?? '')?.before ?? stores[0]?.before ?? null);
    if (base === null) continue;
    largestSeen = Math.max(largestSeen ?? Number.NEGATIVE_INFINITY, max - base);
  }

  const verdict = judgeCounterRun({
    strategy,
    scope,
    expected: answers.expected,
    largestSeen,
    ...(scope === 'worker' ? { workers: parts } : { stores }),
  });
  const workers =
    scope === 'worker'
      ? parts
          .map(({ instance, id, pid, before: held, after: now }) => ({ instance, id, pid, before: held, after: now }))
          .sort((a, b) => a.instance.localeCompare(b.instance) || a.id - b.id)
      : [];
  return { verdict, workers };
};
