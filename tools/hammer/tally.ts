// Running totals of a hammer run, updated one sample at a time so that a long run needs no array of
// samples: per instance (one URL, usually one cluster) and per worker inside it, plus a latency
// histogram. Plain data and small functions; tools/hammer/report.ts turns a tally into words.
import type { Sample } from './load.js';

/** Latency buckets are this wide, up to the request timeout: exact to a tenth of a millisecond. */
export const LATENCY_STEP_MS = 0.1;
const LATENCY_BUCKETS = 100_001;

/** The range of `current_count` values a group of answers carried. */
export interface CountRange {
  /** Answers that carried a `current_count`. */
  counted: number;
  min: number | null;
  max: number | null;
}

export interface WorkerTally extends CountRange {
  /** Its cluster's name (`x-worker-instance`), when the answer said. */
  name: string | null;
  id: number | null;
  pid: number | null;
  /** Answers this worker gave, whatever their status. */
  requests: number;
  ok: number;
  /** `current_count` of the first and the last answer to arrive from this worker. */
  first: number | null;
  last: number | null;
  sources: Map<string, number>;
}

export interface InstanceTally extends CountRange {
  url: string;
  requests: number;
  ok: number;
  failed: number;
  /** Answers by HTTP status (only answers that arrived whole). */
  statuses: Map<number, number>;
  /** Requests that got no whole answer, by error code. */
  errors: Map<string, number>;
  /** Keyed by cluster name, pid and id, in the order workers first answered. */
  workers: Map<string, WorkerTally>;
}

export interface Tally {
  instances: InstanceTally[];
  /** Counter answers per `strategy` they named. */
  strategies: Map<string, number>;
  /** Requests per latency bucket of LATENCY_STEP_MS. */
  latency: Uint32Array;
  latencyMaxMs: number;
  latencySumMs: number;
}

/** An empty tally for a run against `urls` (one instance each). */
export const createTally = (urls: readonly string[]): Tally => ({
  instances: urls.map((url) => ({
    url,
    requests: 0,
    ok: 0,
    failed: 0,
    statuses: new Map(),
    errors: new Map(),
    workers: new Map(),
    counted: 0,
    min: null,
    max: null,
  })),
  strategies: new Map(),
  latency: new Uint32Array(LATENCY_BUCKETS),
  latencyMaxMs: 0,
  latencySumMs: 0,
});

const bump = <K>(map: Map<K, number>, key: K): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

const addCount = (range: CountRange, count: number): void => {
  range.counted += 1;
  range.min = range.min === null ? count : Math.min(range.min, count);
  range.max = range.max === null ? count : Math.max(range.max, count);
};

const workerOf = (instance: InstanceTally, sample: Sample): WorkerTally | undefined => {
  if (sample.workerId === undefined && sample.workerPid === undefined && sample.status === null) return undefined;
  const key = `${sample.workerInstance ?? '?'}:${sample.workerPid ?? '?'}:${sample.workerId ?? '?'}`;
  let worker = instance.workers.get(key);
  if (worker === undefined) {
    worker = {
      name: sample.workerInstance ?? null,
      id: sample.workerId ?? null,
      pid: sample.workerPid ?? null,
      requests: 0,
      ok: 0,
      first: null,
      last: null,
      sources: new Map(),
      counted: 0,
      min: null,
      max: null,
    };
    instance.workers.set(key, worker);
  }
  return worker;
};

/** Add one sample to the tally (a sample for an unknown instance is a caller bug). */
export const addSample = (tally: Tally, sample: Sample): void => {
  const instance = tally.instances[sample.instance];
  if (instance === undefined) throw new RangeError(`Sample for instance ${sample.instance}, not in the tally.`);
  instance.requests += 1;
  const ok = sample.error === undefined && sample.status !== null && sample.status >= 200 && sample.status < 300;
  if (sample.error !== undefined || sample.status === null) bump(instance.errors, sample.error ?? 'no answer');
  else bump(instance.statuses, sample.status);
  if (ok) instance.ok += 1;
  else instance.failed += 1;

  // An answer that came, even a 404 or one cut short, names the worker that gave it.
  const worker = workerOf(instance, sample);
  if (worker !== undefined) {
    worker.requests += 1;
    if (ok) worker.ok += 1;
    if (ok && sample.count !== undefined) {
      if (sample.strategy !== undefined) bump(tally.strategies, sample.strategy);
      worker.first ??= sample.count;
      worker.last = sample.count;
      addCount(worker, sample.count);
      addCount(instance, sample.count);
    }
    if (ok && sample.source !== undefined) bump(worker.sources, sample.source);
  }

  const ms = Math.max(0, sample.ms);
  // Bucket b holds latencies in ((b - 1) * step, b * step]: a percentile reads as "at most".
  const bucket = Math.min(LATENCY_BUCKETS - 1, Math.ceil(ms / LATENCY_STEP_MS));
  tally.latency[bucket] = (tally.latency[bucket] ?? 0) + 1;
  tally.latencyMaxMs = Math.max(tally.latencyMaxMs, ms);
  tally.latencySumMs += ms;
};

/** A tally of samples already collected (e.g. `runLoad().samples`). */
export const tallySamples = (urls: readonly string[], samples: Iterable<Sample>): Tally => {
  const tally = createTally(urls);
  for (const sample of samples) addSample(tally, sample);
  return tally;
};

/** Requests done and failed so far, all instances together (for the progress bar). */
export const countDone = (tally: Tally): { done: number; failed: number } => {
  let done = 0;
  let failed = 0;
  for (const instance of tally.instances) {
    done += instance.requests;
    failed += instance.failed;
  }
  return { done, failed };
};

/** The latency under which a fraction `p` (0-1) of the requests finished, to LATENCY_STEP_MS. */
export const latencyPercentile = (tally: Tally, p: number): number | null => {
  let total = 0;
  for (const count of tally.latency) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let bucket = 0; bucket < tally.latency.length; bucket += 1) {
    seen += tally.latency[bucket] ?? 0;
    if (seen >= rank) return Math.min(tally.latencyMaxMs, bucket * LATENCY_STEP_MS);
  }
  return tally.latencyMaxMs;
};
