// A worker's Prometheus metrics, in a registry of its own. The primary collects every live worker's
// registry as JSON over IPC and aggregates them with prom-client (GET /metrics). Counts that the lab
// already keeps (cache hits, database calls, counters) are read at collection time, not on the hot path.
import { Counter, Gauge, Registry } from 'prom-client';
import type { Lab } from './lab.js';
import { routeRegex } from './route-pattern.js';

/** Seconds; covers a cached answer (sub-millisecond) up to the 1 s simulated database and beyond. */
const DURATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface WorkerMetrics {
  /** prom-client's metrics (counters and gauges read at collection time). */
  registry: Registry;
  /** Every metric of this worker as JSON, for the primary to aggregate: the registry's and the durations. */
  json(): Promise<object[]>;
  /** Called once per response: plain additions, no allocation (see RouteSlot). */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
}

/**
 * What one route pattern served, counted in plain fields: a GET answered 200 is one addition, and
 * the duration one comparison loop and two additions. prom-client's `inc(labels)` and
 * `observe(labels, v)` hash their label object on every call (about 1 µs a request, measured); here
 * the labels are built only when the primary asks for the metrics.
 */
interface RouteSlot {
  route: string;
  /** GET answered 200: nearly every request. */
  okGets: number;
  /** Every other (method, status), keyed `METHOD status`. */
  others: Map<string, number>;
  /** Responses per bucket of DURATION_BUCKETS_S (not cumulative); the last is above every bound. */
  buckets: number[];
  sum: number;
  count: number;
}

const newSlot = (route: string): RouteSlot => ({
  route,
  okGets: 0,
  others: new Map(),
  buckets: new Array<number>(DURATION_BUCKETS_S.length + 1).fill(0),
  sum: 0,
  count: 0,
});

const DURATION_NAME = 'lab_http_request_duration_seconds';

/** The duration histogram in prom-client's JSON shape (cumulative buckets, then +Inf, sum, count). */
const durationJson = (slots: Iterable<RouteSlot>): object => {
  const values: object[] = [];
  for (const { route, buckets, sum, count } of slots) {
    let cumulative = 0;
    DURATION_BUCKETS_S.forEach((le, index) => {
      cumulative += buckets[index] ?? 0;
      values.push({ labels: { le, route }, value: cumulative, metricName: `${DURATION_NAME}_bucket` });
    });
    values.push({ labels: { le: '+Inf', route }, value: count, metricName: `${DURATION_NAME}_bucket` });
    values.push({ labels: { route }, value: sum, metricName: `${DURATION_NAME}_sum` });
    values.push({ labels: { route }, value: count, metricName: `${DURATION_NAME}_count` });
  }
  return {
    name: DURATION_NAME,
    help: 'Time from request to the end of the response, by route pattern.',
    type: 'histogram',
    values,
    aggregator: 'sum',
  };
};

/** Grow a prom-client counter to a total the lab keeps itself. */
const syncCounter = (
  counter: Counter<string>,
  labels: Record<string, string>,
  total: number,
  seen: Map<string, number>,
) => {
  const key = JSON.stringify(labels);
  const delta = total - (seen.get(key) ?? 0);
  if (delta > 0) counter.inc(labels, delta);
  seen.set(key, total);
};

export const createWorkerMetrics = (lab: Lab): WorkerMetrics => {
  const registry = new Registry();
  const worker = String(lab.identity.id);
  const seen = new Map<string, number>();
  const slots = new Map<string, RouteSlot>();
  const requests = new Counter({
    name: 'lab_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
    collect() {
      for (const { route, okGets, others } of slots.values()) {
        if (okGets > 0) syncCounter(requests, { route, method: 'GET', status: '200' }, okGets, seen);
        for (const [key, total] of others) {
          const [method = '', status = ''] = key.split(' ');
          syncCounter(requests, { route, method, status }, total, seen);
        }
      }
    },
  });
  const cacheHits = new Counter({
    name: 'lab_cache_hits_total',
    help: 'Cache lookups answered from the cache, by cache.',
    labelNames: ['cache'],
    registers: [registry],
  });
  const cacheMisses = new Counter({
    name: 'lab_cache_misses_total',
    help: 'Cache lookups that went to the database, by cache.',
    labelNames: ['cache'],
    registers: [registry],
  });
  const cacheBypassed = new Counter({
    name: 'lab_cache_bypassed_total',
    help: 'Lookups that skipped a cache that was down (fail open), by cache.',
    labelNames: ['cache'],
    registers: [registry],
  });
  const dbCalls = new Counter({
    name: 'lab_db_calls_total',
    help: 'Calls to the simulated database.',
    registers: [registry],
    collect() {
      syncCounter(dbCalls, {}, lab.db.calls, seen);
      for (const [name, { counts }] of lab.caches) {
        syncCounter(cacheHits, { cache: name }, counts.hits, seen);
        syncCounter(cacheMisses, { cache: name }, counts.misses, seen);
        syncCounter(cacheBypassed, { cache: name }, counts.bypassed, seen);
      }
    },
  });
  // Worker-scoped counters have one value per worker: their series keep a `worker` label, since
  // adding them up is exactly the mistake the lab is about.
  const perWorker = lab.strategies.filter((strategy) => strategy.scope === 'worker').map((strategy) => strategy.name);
  const counterValue = new Gauge({
    name: 'lab_worker_scoped_value',
    help: "A per-worker counter's value in one worker: the lesson is that these differ.",
    labelNames: ['strategy', 'worker'],
    registers: [registry],
    collect() {
      for (const name of perWorker) counterValue.set({ strategy: name, worker }, lab.counters.get(name)?.peek() ?? 0);
    },
  });
  const increments = new Counter({
    name: 'lab_increments_total',
    help: 'Increments made through each strategy, all workers together.',
    labelNames: ['strategy'],
    registers: [registry],
    collect() {
      for (const [name, tally] of lab.tallies) syncCounter(increments, { strategy: name }, tally.increments, seen);
    },
  });

  return {
    registry,
    json: async () => [...(await registry.getMetricsAsJSON()), durationJson(slots.values())],
    observeRequest(route, method, status, seconds) {
      let slot = slots.get(route);
      if (slot === undefined) {
        slot = newSlot(route);
        slots.set(route, slot);
      }
      if (status === 200 && method === 'GET') slot.okGets += 1;
      else {
        const key = `${method} ${status}`;
        slot.others.set(key, (slot.others.get(key) ?? 0) + 1);
      }
      let bucket = 0;
      while (bucket < DURATION_BUCKETS_S.length && seconds > (DURATION_BUCKETS_S[bucket] ?? 0)) bucket += 1;
      slot.buckets[bucket] = (slot.buckets[bucket] ?? 0) + 1;
      slot.sum += seconds;
      slot.count += 1;
    },
  };
};

/** Maps a request path to the route pattern that serves it, for low-cardinality labels. */
export const createRouteLabeler = (routes: readonly { path: string }[]): ((path: string) => string) => {
  const patterns = [...new Set(routes.map((route) => route.path))].filter((path) => path !== '/*');
  const exact = new Set(patterns.filter((path) => !path.includes(':') && !path.includes('*')));
  const dynamic = patterns.filter((path) => !exact.has(path)).map((path) => ({ path, regex: routeRegex(path) }));
  return (path) => {
    if (exact.has(path)) return path;
    return dynamic.find(({ regex }) => regex.test(path))?.path ?? 'unmatched';
  };
};
