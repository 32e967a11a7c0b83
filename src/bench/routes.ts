// The routes the bench drives, and how to read back what a counter route counted, so that a run can
// say whether the count was exact (N answers, final value N) and not only how fast it went.
import { getJson } from './http.js';

export const ROUTE_PATHS = [
  '/counter/local',
  '/counter/unsafe',
  '/counter/ipc',
  '/counter/file',
  '/counter/redis',
  '/counter/redis-unsafe',
  '/user/:id',
  '/user/lru/:id',
  '/user/ttl/:id',
  '/user/redis/:id',
] as const;
export type RoutePath = (typeof ROUTE_PATHS)[number];

/** Warm user routes cycle over these ids, each cached in every worker before the measurement. */
export const WARM_USER_IDS = [1, 2, 3, 4, 5] as const;

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
  totals?: { counters?: Record<string, unknown> };
  ipc_counter?: unknown;
  shared_counters?: Record<string, unknown>;
}

const numberAt = (record: Record<string, unknown> | undefined, ...keys: string[]): number | undefined => {
  for (const key of keys) {
    const value = record?.[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
};

/**
 * The count a counter route has reached, all workers together, as /cluster reports it without
 * touching it: per-worker counters (local, unsafe) summed, shared ones from `shared_counters`.
 * Undefined when this lab's /cluster does not say.
 */
export const peekCount = async (baseUrl: string, counter: string): Promise<number | undefined> => {
  const cluster = await getJson<ClusterCounters>(`${baseUrl}/cluster`).catch(() => undefined);
  if (cluster === undefined || cluster.status !== 200) return undefined;
  const { body } = cluster;
  const snake = counter.replaceAll('-', '_');
  if (counter === 'local' || counter === 'unsafe') return numberAt(body.totals?.counters, counter, snake);
  const shared = numberAt(body.shared_counters, counter, snake);
  if (shared !== undefined) return shared;
  return counter === 'ipc' && typeof body.ipc_counter === 'number' ? body.ipc_counter : undefined;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
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
  const { status, body } = await getJson<{ current_count?: unknown }>(`${baseUrl}/counter/${counter}`);
  if (status !== 200 || typeof body.current_count !== 'number') {
    throw new Error(`Could not read /counter/${counter}: status ${status}.`);
  }
  return moment === 'after' ? body.current_count - 1 : body.current_count;
};
