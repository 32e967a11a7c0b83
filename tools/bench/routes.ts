// The routes the bench drives, and how to read back what a counter route counted, so that a run can
// say whether the count was exact (N answers, final value N) and not only how fast it went.
import { COUNTER_STRATEGIES } from '../../src/counters/registry.js';
import { sleep } from '../../src/sleep.js';
import { requestJson } from '../lib/http-json.js';

/** Every counter strategy of the registry, then the caches: the bench learns new strategies from it. */
export const ROUTE_PATHS: readonly string[] = [
  ...COUNTER_STRATEGIES.map((strategy) => `/counter/${strategy.name}`),
  '/user/:id',
  '/user/lru/:id',
  '/user/ttl/:id',
  '/user/redis/:id',
];
export type RoutePath = string;

/** Warm user routes cycle over these ids, each cached in every worker before the measurement. */
export const WARM_USER_IDS = [1, 2, 3, 4, 5] as const;

/** What the floors are loaded with beside a user route: their /user/lru/:id, over the same ids. */
export const floorUserPaths = (): string[] => WARM_USER_IDS.map((id) => `/user/lru/${id}`);

export interface BenchRoute {
  path: RoutePath;
  kind: 'counter' | 'user';
  /** The counter's strategy name (`local`, `redis-unsafe`, …); undefined for a user route. */
  counter?: string;
  /** Request paths autocannon cycles over on each connection. */
  requestPaths: string[];
}

export const describeRoute = (path: RoutePath): BenchRoute => {
  if (path.startsWith('/counter/')) {
    return { path, kind: 'counter', counter: path.slice('/counter/'.length), requestPaths: [path] };
  }
  const prefix = path.slice(0, -'/:id'.length);
  return { path, kind: 'user', requestPaths: WARM_USER_IDS.map((id) => `${prefix}/${id}`) };
};

/** What /cluster says about counters; every field may be missing in an older or newer lab. */
interface ClusterCounters {
  strategies?: Record<string, { value?: unknown } | undefined>;
  totals?: { strategy_stats?: Record<string, Record<string, unknown> | undefined> };
}

/** A strategy's own figures (the file counter's commits, WATCH aborts), all workers added up; {} when none. */
export const peekStrategyStats = async (baseUrl: string, counter: string): Promise<Record<string, number>> => {
  const cluster = await requestJson<ClusterCounters>(`${baseUrl}/cluster`).catch(() => undefined);
  const stats = cluster?.status === 200 ? cluster.body.totals?.strategy_stats?.[counter] : undefined;
  return Object.fromEntries(
    Object.entries(stats ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
};

/**
 * The count a counter route has reached, all workers together, as /cluster reports it without
 * touching it: a worker-scoped strategy's counts summed, a shared one's stored value. Undefined when
 * this lab's /cluster does not say.
 */
export const peekCount = async (baseUrl: string, counter: string): Promise<number | undefined> => {
  const cluster = await requestJson<ClusterCounters>(`${baseUrl}/cluster`).catch(() => undefined);
  if (cluster === undefined || cluster.status !== 200) return undefined;
  const value = cluster.body.strategies?.[counter]?.value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

const SETTLE_INTERVAL_MS = 150;

/**
 * Requests whose sockets autocannon cut at the end of a timed run may still be committing (a file
 * counter's queued batch): wait until two readings agree before taking one.
 */
export const settledCount = async (baseUrl: string, counter: string, timeoutMs = 5000): Promise<number | undefined> => {
  let last = await peekCount(baseUrl, counter);
  if (last === undefined) {
    await sleep(SETTLE_INTERVAL_MS * 3);
    return undefined;
  }
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    await sleep(SETTLE_INTERVAL_MS);
    const next = await peekCount(baseUrl, counter);
    if (next === last) return next;
    last = next;
  }
  return last;
};

/**
 * The settled count; failing /cluster, one more request answers its own `current_count`: minus one
 * after a run (that request added it), as is before one.
 */
export const readCount = async (baseUrl: string, counter: string, moment: 'before' | 'after'): Promise<number> => {
  const settled = await settledCount(baseUrl, counter);
  if (settled !== undefined) return settled;
  const { status, body } = await requestJson<{ current_count?: unknown }>(`${baseUrl}/counter/${counter}`);
  if (status !== 200 || typeof body.current_count !== 'number') {
    throw new Error(`Could not read /counter/${counter}: status ${status}.`);
  }
  return moment === 'after' ? body.current_count - 1 : body.current_count;
};
