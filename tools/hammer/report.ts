// The report of a hammer run: one plain object, built from a tally, that --json prints as it is and
// tools/hammer/text.ts prints as tables. Pure functions, no I/O.
import type { CounterVerdict } from '../../src/verdict.js';
import type { JudgedRun } from '../lib/cluster-facts.js';
import { type CountRange, latencyPercentile, type Tally, type WorkerTally } from './tally.js';
import { buildVerdict } from './verdict.js';

// The text helpers once lived here and the demo imports them from here: keep that path working.
export { formatBar, formatNumber, formatReport, formatTable } from './text.js';

/**
 * Where the counter verdict comes from: /cluster before and after the run (measured baselines, the
 * dead named), or — when it cannot be read — the answers alone, and why.
 */
export type CounterFacts = { basis: 'cluster'; judged: JudgedRun } | { basis: 'answers'; why: string };

export interface RunInfo {
  elapsedMs: number;
  keepAlive: boolean;
  concurrency: number;
  /** Stopped early (Ctrl-C) rather than by its request count or duration. */
  interrupted: boolean;
}

export interface WorkerReport {
  /** 1-based position of the worker's URL on the command line. */
  instance: number;
  /** Its cluster's name (`x-worker-instance`): worker ids repeat across clusters. */
  name: string | null;
  id: number | null;
  pid: number | null;
  requests: number;
  ok: number;
  /** This worker's part of its instance's answers, 0-1. */
  share: number;
  /** `current_count` of this worker's first and last answers to arrive, and the extremes. */
  first: number | null;
  last: number | null;
  min: number | null;
  max: number | null;
  counted: number;
  sources: Record<string, number>;
  /** A per-worker counter's value in this worker before and after the run, from /cluster (null: unknown, or dead). */
  before: number | null;
  after: number | null;
}

export interface InstanceReport {
  instance: number;
  url: string;
  requests: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  sources: Record<string, number>;
  counted: number;
  min_seen: number | null;
  max_seen: number | null;
}

export interface LatencyReport {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The --json object. Counter fields are null when no answer carried a `current_count`. */
export interface HammerReport {
  urls: string[];
  keep_alive: boolean;
  concurrency: number;
  interrupted: boolean;
  requests: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  sources: Record<string, number>;
  elapsed_ms: number;
  rps: number;
  latency_ms: LatencyReport | null;
  /** Answers that carried a `current_count`. */
  counted: number;
  min_seen: number | null;
  max_seen: number | null;
  /**
   * `cluster`: expected, true_total, lost and largest_seen are src/verdict.ts's, from baselines read
   * from /cluster before and after the run. `answers`: /cluster could not be read (`basis_note` says
   * why), so they are guessed from the answers alone: expected = (min_seen - 1) + counted, lost =
   * expected - max_seen. null: no counter answers.
   */
  basis: 'cluster' | 'answers' | null;
  basis_note: string | null;
  /** The 2xx answers that carried a count (cluster basis), or the guess above. */
  expected: number | null;
  /** What the counter's storage (or the workers together) gained during the run; null on the answers basis. */
  true_total: number | null;
  /** expected - true total (cluster basis; negative: something else counted too), or expected - max_seen. */
  lost: number | null;
  /** The largest answer a client saw, over the baseline of whoever answered it (cluster basis). */
  largest_seen: number | null;
  /** How far the counts went past expected: something else counted during the run. */
  excess: number | null;
  /** The whole verdict of src/verdict.ts (cluster basis): kind, who died and what they took, … */
  counter_verdict: CounterVerdict | null;
  instances: InstanceReport[];
  workers: WorkerReport[];
  verdict: string[];
}

const round = (value: number, digits = 1): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

const toRecord = <K extends string | number>(map: ReadonlyMap<K, number>): Record<string, number> =>
  Object.fromEntries([...map].sort(([, a], [, b]) => b - a).map(([key, count]) => [String(key), count]));

const addInto = (target: Record<string, number>, source: Record<string, number>): void => {
  for (const [key, count] of Object.entries(source)) target[key] = (target[key] ?? 0) + count;
};

const sortByCount = (record: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(record).sort(([, a], [, b]) => b - a));

const mergeRange = (ranges: readonly CountRange[]): CountRange => {
  const withCounts = ranges.filter((range) => range.counted > 0);
  return {
    counted: withCounts.reduce((sum, range) => sum + range.counted, 0),
    min: withCounts.length === 0 ? null : Math.min(...withCounts.map((range) => range.min as number)),
    max: withCounts.length === 0 ? null : Math.max(...withCounts.map((range) => range.max as number)),
  };
};

const compareWorkers = (a: WorkerTally, b: WorkerTally): number =>
  (a.id ?? Number.POSITIVE_INFINITY) - (b.id ?? Number.POSITIVE_INFINITY) ||
  (a.pid ?? Number.POSITIVE_INFINITY) - (b.pid ?? Number.POSITIVE_INFINITY);

const compareNames = (a: WorkerTally, b: WorkerTally): number => (a.name ?? '').localeCompare(b.name ?? '');

/** The report of a run: totals, one entry per instance and per worker, the counter arithmetic, the verdict. */
export const buildReport = (tally: Tally, run: RunInfo, facts?: CounterFacts): HammerReport => {
  const judged = facts?.basis === 'cluster' ? facts.judged : undefined;
  const baselineOf = (worker: WorkerTally) =>
    judged?.workers.find((part) => part.pid === worker.pid && (worker.name === null || part.instance === worker.name));
  const instances: InstanceReport[] = [];
  const workers: WorkerReport[] = [];
  tally.instances.forEach((instance, index) => {
    const answered = [...instance.workers.values()].reduce((sum, worker) => sum + worker.requests, 0);
    const sources: Record<string, number> = {};
    for (const worker of [...instance.workers.values()].sort((a, b) => compareNames(a, b) || compareWorkers(a, b))) {
      const workerSources = toRecord(worker.sources);
      addInto(sources, workerSources);
      const baseline = baselineOf(worker);
      workers.push({
        instance: index + 1,
        name: worker.name,
        id: worker.id,
        pid: worker.pid,
        requests: worker.requests,
        ok: worker.ok,
        share: answered === 0 ? 0 : round(worker.requests / answered, 4),
        first: worker.first,
        last: worker.last,
        min: worker.min,
        max: worker.max,
        counted: worker.counted,
        sources: workerSources,
        before: baseline?.before ?? null,
        after: baseline?.after ?? null,
      });
    }
    instances.push({
      instance: index + 1,
      url: instance.url,
      requests: instance.requests,
      ok: instance.ok,
      failed: instance.failed,
      statuses: toRecord(instance.statuses),
      errors: toRecord(instance.errors),
      sources: sortByCount(sources),
      counted: instance.counted,
      min_seen: instance.min,
      max_seen: instance.max,
    });
  });

  const sum = (pick: (instance: InstanceReport) => number): number =>
    instances.reduce((total, instance) => total + pick(instance), 0);
  const merge = (pick: (instance: InstanceReport) => Record<string, number>): Record<string, number> => {
    const merged: Record<string, number> = {};
    for (const instance of instances) addInto(merged, pick(instance));
    return sortByCount(merged);
  };
  const requests = sum((instance) => instance.requests);
  const range = mergeRange(tally.instances);
  // The lowest value seen, not the first to arrive: with concurrency, answers overtake each other.
  const guessed = range.min === null ? null : range.min - 1 + range.counted;
  const verdict = judged?.verdict ?? null;
  const expected = verdict === null ? guessed : verdict.expected;
  const latency: LatencyReport | null =
    requests === 0
      ? null
      : {
          mean: round(tally.latencySumMs / requests, 2),
          p50: round(latencyPercentile(tally, 0.5) ?? 0, 2),
          p90: round(latencyPercentile(tally, 0.9) ?? 0, 2),
          p99: round(latencyPercentile(tally, 0.99) ?? 0, 2),
          max: round(tally.latencyMaxMs, 2),
        };

  const report: HammerReport = {
    urls: tally.instances.map((instance) => instance.url),
    keep_alive: run.keepAlive,
    concurrency: run.concurrency,
    interrupted: run.interrupted,
    requests,
    ok: sum((instance) => instance.ok),
    failed: sum((instance) => instance.failed),
    statuses: merge((instance) => instance.statuses),
    errors: merge((instance) => instance.errors),
    sources: merge((instance) => instance.sources),
    elapsed_ms: round(run.elapsedMs),
    rps: run.elapsedMs > 0 ? round((requests * 1000) / run.elapsedMs) : 0,
    latency_ms: latency,
    counted: range.counted,
    min_seen: range.min,
    max_seen: range.max,
    basis: range.counted === 0 ? null : verdict === null ? 'answers' : 'cluster',
    basis_note: range.counted === 0 || facts?.basis !== 'answers' ? null : facts.why,
    expected,
    true_total: verdict?.true_total ?? null,
    lost:
      verdict !== null
        ? verdict.lost
        : guessed === null || range.max === null
          ? null
          : Math.max(0, guessed - range.max),
    largest_seen: verdict?.largest_seen ?? null,
    excess:
      verdict !== null
        ? Math.max(0, -(verdict.lost ?? 0))
        : guessed === null || range.max === null
          ? null
          : Math.max(0, range.max - guessed),
    counter_verdict: verdict,
    instances,
    workers,
    verdict: [],
  };
  report.verdict = buildVerdict(report);
  return report;
};
