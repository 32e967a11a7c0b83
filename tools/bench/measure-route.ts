// One route: is it there, warm it, measure it against both floors (A B C C B A), and check its count.
import { type JsonAnswer, requestJson } from '../lib/http-json.js';
import type { LoadOptions, LoadSummary, RunLoad } from './load.js';
import type { ExactCheck, RouteResult } from './result.js';
import { type BenchRoute, floorUserPaths, peekStrategyStats, readCount } from './routes.js';
import { readCpuMs } from './system.js';

/** A server the bench loads: its URL and every process that serves it (for CPU per request). */
export interface Side {
  url: string;
  pids: readonly number[];
}

export interface MeasureContext {
  load: RunLoad;
  labUrl: string;
  labWorkerPids: readonly number[];
  /** Every process serving the lab's requests (primary, workers, redis-server), for CPU per request. */
  labPids: readonly number[];
  /** The platform floor: a bare node:http cluster answering `/counter` as the lab does. */
  bare: Side;
  /** The framework floor: a minimal Hono app on @hono/node-server answering the same. */
  hono: Side;
  connections: number;
  durationS: number;
  signal: AbortSignal;
}

/**
 * Requests each side answers, unmeasured, before a route's timed runs. A fresh process runs its
 * code unoptimised at first, and the lab has more code to warm than the floors: without this, the
 * first timed run measured V8's tiering as much as the code (the lab's /counter/local at 1 worker
 * cost 43.4 µs per request in its first run and 38.6 in its second).
 */
export const WARM_UP_REQUESTS = 5000;

/** Requests in an exactness check: enough for every connection to send several. */
export const exactRequests = (connections: number): number => Math.max(20 * connections, 500);

/**
 * A side's better run. Other processes on the machine can only slow a run down, so the better of
 * two is the nearer to what the code can do; comparing best with best keeps a burst of someone
 * else's load in one run from deciding the ratio.
 */
export const best = (runs: readonly LoadSummary[]): LoadSummary =>
  runs.reduce((better, run) => (run.requests_per_s > better.requests_per_s ? run : better));

/** How far apart a side's runs were, as a fraction of the better one: the machine's noise. */
export const spread = (runs: readonly LoadSummary[]): number => {
  const rates = runs.map((run) => run.requests_per_s);
  const top = Math.max(...rates);
  return top > 0 ? (top - Math.min(...rates)) / top : 0;
};

/** One measurement, with the CPU time `pids` spent on it per answered request. */
export const measureWithCpu = async (
  load: RunLoad,
  pids: readonly number[],
  options: LoadOptions,
): Promise<LoadSummary> => {
  const before = await readCpuMs(pids);
  const summary = await load(options);
  const after = await readCpuMs(pids);
  const answered = summary.ok_2xx + summary.non_2xx;
  const cpu = before === null || after === null || answered === 0 ? null : ((after - before) * 1000) / answered;
  return { ...summary, server_cpu_us_per_request: cpu };
};

export const meanCpu = (runs: readonly LoadSummary[]): number | null => {
  const values = runs
    .map((run) => run.server_cpu_us_per_request)
    .filter((cpu): cpu is number => typeof cpu === 'number');
  return values.length === 0 ? null : values.reduce((sum, cpu) => sum + cpu, 0) / values.length;
};

/** A 404 means this lab does not have the route (yet); a 5xx usually names what is missing. */
const probe = async (url: string): Promise<string | null> => {
  let answer: JsonAnswer<{ message?: unknown }>;
  try {
    answer = await requestJson<{ message?: unknown }>(url);
  } catch (error) {
    return `did not answer (${error instanceof Error ? error.message : String(error)})`;
  }
  const { status, body } = answer;
  if (status >= 200 && status < 300) return null;
  const said = typeof body.message === 'string' ? `: ${body.message}` : '';
  return status === 404 ? 'answers 404 in this lab (route not there yet)' : `answers ${status}${said}`;
};

/** Ask for every path on fresh connections until each worker has answered it (so each has cached it). */
const warmEveryWorker = async (context: MeasureContext, paths: readonly string[]): Promise<void> => {
  for (const path of paths) {
    const seen = new Set<number>();
    for (
      let attempt = 0;
      attempt < context.labWorkerPids.length * 8 && seen.size < context.labWorkerPids.length;
      attempt += 1
    ) {
      const { headers } = await requestJson(`${context.labUrl}${path}`);
      const pid = Number(headers['x-worker-pid']);
      if (Number.isInteger(pid)) seen.add(pid);
    }
  }
};

/** Send exactly N requests and compare how far the counter moved with the 2xx answers. */
export const checkExact = async (
  context: Pick<MeasureContext, 'load' | 'labUrl' | 'connections'>,
  route: BenchRoute,
): Promise<ExactCheck> => {
  const counter = route.counter ?? '';
  const requests = exactRequests(context.connections);
  const before = await readCount(context.labUrl, counter, 'before');
  const load = await context.load({
    baseUrl: context.labUrl,
    paths: route.requestPaths,
    connections: context.connections,
    amount: requests,
  });
  const counted = (await readCount(context.labUrl, counter, 'after')) - before;
  return { requests, ok_2xx: load.ok_2xx, counted, exact: counted === load.ok_2xx };
};

export const unavailable = (route: BenchRoute, reason: string): RouteResult => ({
  route: route.path,
  kind: route.kind,
  available: false,
  reason,
  requests_per_s: null,
  latency_p50_ms: null,
  latency_p99_ms: null,
  baseline_requests_per_s: null,
  ratio: null,
  hono_requests_per_s: null,
  hono_ratio: null,
  spread: null,
  cpu_us_per_request: null,
  baseline_cpu_us_per_request: null,
  hono_cpu_us_per_request: null,
  non_2xx: 0,
  errors: 0,
  exact: null,
  strategy_stats: null,
  runs: { baseline: [], hono: [], lab: [] },
});

const ratioOf = (numerator: number, denominator: number): number | null =>
  denominator > 0 ? numerator / denominator : null;

export const measureRoute = async (context: MeasureContext, route: BenchRoute): Promise<RouteResult> => {
  const reason = await probe(`${context.labUrl}${route.requestPaths[0]}`);
  if (reason !== null) return unavailable(route, reason);
  if (route.kind === 'user') await warmEveryWorker(context, route.requestPaths);

  const common = { connections: context.connections, durationS: context.durationS };
  // The floors answer a counter route as /counter/local and a user route as a warm /user/lru/:id,
  // over the same ids: the same bodies, and the same pattern of requests on each connection.
  const floorPaths = route.kind === 'counter' ? ['/counter'] : floorUserPaths();
  const runs = { baseline: [] as LoadSummary[], hono: [] as LoadSummary[], lab: [] as LoadSummary[] };
  const sides = {
    baseline: { pids: context.bare.pids, options: { ...common, baseUrl: context.bare.url, paths: floorPaths } },
    hono: { pids: context.hono.pids, options: { ...common, baseUrl: context.hono.url, paths: floorPaths } },
    lab: { pids: context.labPids, options: { ...common, baseUrl: context.labUrl, paths: route.requestPaths } },
  };
  for (const side of ['baseline', 'hono', 'lab'] as const) {
    context.signal.throwIfAborted();
    const { baseUrl, paths } = sides[side].options;
    await context.load({ baseUrl, paths, connections: context.connections, amount: WARM_UP_REQUESTS });
  }
  // A B C C B A: a slow patch of the shared machine, or a drift over the route's runs, weighs on
  // every side alike instead of on whichever came last.
  let statsBefore: Record<string, number> = {};
  let statsAfter: Record<string, number> = {};
  for (const [index, side] of (['baseline', 'hono', 'lab', 'lab', 'hono', 'baseline'] as const).entries()) {
    context.signal.throwIfAborted();
    // A strategy's own figures over the lab's two timed runs (the file counter's commits and batches).
    if (index === 2 && route.counter !== undefined)
      statsBefore = await peekStrategyStats(context.labUrl, route.counter);
    runs[side].push(await measureWithCpu(context.load, sides[side].pids, sides[side].options));
    if (index === 3 && route.counter !== undefined) statsAfter = await peekStrategyStats(context.labUrl, route.counter);
  }
  const strategyStats = Object.fromEntries(
    Object.entries(statsAfter).map(([name, value]) => [name, value - (statsBefore[name] ?? 0)]),
  );
  context.signal.throwIfAborted();
  const exact = route.kind === 'counter' ? await checkExact(context, route) : null;

  const bestLab = best(runs.lab);
  const bestBaseline = best(runs.baseline);
  const bestHono = best(runs.hono);
  return {
    route: route.path,
    kind: route.kind,
    available: true,
    reason: null,
    requests_per_s: bestLab.requests_per_s,
    latency_p50_ms: bestLab.latency_p50_ms,
    latency_p99_ms: bestLab.latency_p99_ms,
    baseline_requests_per_s: bestBaseline.requests_per_s,
    ratio: ratioOf(bestLab.requests_per_s, bestBaseline.requests_per_s),
    hono_requests_per_s: bestHono.requests_per_s,
    hono_ratio: ratioOf(bestLab.requests_per_s, bestHono.requests_per_s),
    spread: Math.max(spread(runs.lab), spread(runs.baseline), spread(runs.hono)),
    cpu_us_per_request: meanCpu(runs.lab),
    baseline_cpu_us_per_request: meanCpu(runs.baseline),
    hono_cpu_us_per_request: meanCpu(runs.hono),
    non_2xx: runs.lab.reduce((sum, run) => sum + run.non_2xx, 0),
    errors: runs.lab.reduce((sum, run) => sum + run.errors, 0),
    exact,
    strategy_stats: Object.keys(strategyStats).length > 0 ? strategyStats : null,
    runs,
  };
};
