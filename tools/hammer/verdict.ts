// The sentences under the hammer's tables, each built from measured numbers: what the counter
// values say (lost, repeated, counted per worker or per cluster), where answers came from, what failed.
import type { HammerReport } from './report.js';
import { formatNumber, percent, plural } from './text.js';

/** Values a group returned more often than its range allows: a floor on repeated values (pigeonhole). */
const repeats = (range: { counted: number; min: number | null; max: number | null }): number =>
  range.min === null || range.max === null ? 0 : Math.max(0, range.counted - (range.max - range.min + 1));
/** The values run from min to max with neither gap nor repeat (as far as counts can tell). */
const contiguous = (range: { counted: number; min: number | null; max: number | null }): boolean =>
  range.min !== null && range.max !== null && range.max - range.min + 1 === range.counted;

const SCOPE_WORDS = {
  worker: 'one count per worker',
  host: 'one count per cluster',
  fleet: 'one count for every cluster on the same Redis',
} as const;

/** Values a worker returned more than once: read-modify-write races, whatever the baselines. */
const repeatLine = (report: HammerReport): string[] => {
  const repeating = report.workers.filter((worker) => worker.counted > 0 && repeats(worker) > 0);
  if (repeating.length === 0) return [];
  const floor = repeating.reduce((total, worker) => total + repeats(worker), 0);
  return [
    `${plural(repeating.length, 'worker')} returned the same value more than once (at least ${plural(floor, 'repeat')}): ` +
      'concurrent increments overwrote each other.',
  ];
};

/** The verdict of src/verdict.ts, from baselines measured on /cluster before and after the run. */
const measuredVerdict = (report: HammerReport): string[] => {
  const verdict = report.counter_verdict;
  if (verdict === null) return [];
  return [
    `Counter ${verdict.strategy} (${SCOPE_WORDS[verdict.scope]}), measured against /cluster before and after the run:`,
    ...verdict.sentences,
    ...lateLines(report),
    ...repeatLine(report),
  ];
};

/**
 * A dead worker's numbers are its last report to the primary (at most ~100 ms before it died); if it
 * answered this client more than that, say so — the verdict stays the dashboard's.
 */
const lateLines = (report: HammerReport): string[] =>
  (report.counter_verdict?.died ?? []).flatMap((dead) => {
    const answered = report.workers.find((worker) => worker.pid === dead.pid && worker.id === dead.id);
    if (answered?.max === null || answered?.max === undefined || answered.before === null) return [];
    const held = answered.before + dead.took;
    return answered.max > held
      ? [
          `Worker ${dead.id} (pid ${dead.pid}) answered up to ${formatNumber(answered.max)} before it died; its last report ` +
            `to the primary said ${formatNumber(held)}: at least ${formatNumber(answered.max - held)} more died with it unreported.`,
        ]
      : [];
  });

const counterVerdict = (report: HammerReport): string[] => {
  if (report.basis === 'cluster') return measuredVerdict(report);
  const { counted, min_seen: min, max_seen: max, expected, lost, excess } = report;
  if (counted === 0 || min === null || max === null || expected === null || lost === null || excess === null) return [];
  const base = min - 1;
  const unmeasured = report.basis_note === null ? '' : ` (no baselines: ${report.basis_note})`;
  const lines = [
    `Counter, guessed from the answers alone${unmeasured}: ${plural(counted, 'answer')} carried a current_count, the lowest ${formatNumber(min)}, so the counter ` +
      `stood at ${formatNumber(base)} before this run${base === 0 ? ' (a fresh counter)' : ', if this run was its only client'}. ` +
      `One shared, exact counter would now read ${formatNumber(base)} + ${formatNumber(counted)} = ${formatNumber(expected)} (expected).`,
  ];
  // What the values themselves say, from the most local level up. "Repeat" is certain (more answers
  // than values in their range); "counted alone" is what gap-free ranges point to.
  const counting = report.workers.filter((worker) => worker.counted > 0);
  const alone = counting.length > 1 && counting.every(contiguous);
  const aloneLine = `Each worker's values run from its first to its last with no gap and no repeat: each of the ${formatNumber(counting.length)} workers counted only the requests it served, in its own memory.`;

  if (excess > 0) {
    if (!alone) {
      lines.push(
        `The largest value seen is ${formatNumber(max)}, ${formatNumber(excess)} more than expected: something else ` +
          'incremented the counter during the run, or answers were lost on the way.',
      );
      return lines;
    }
    const firsts = counting.map((worker) => worker.min as number);
    const most = Math.max(...counting.map((worker) => worker.counted));
    lines.push(
      `The largest value seen is ${formatNumber(max)}, ${formatNumber(excess)} more than expected: the workers' ` +
        `counts started apart (their lowest values run from ${formatNumber(Math.min(...firsts))} to ${formatNumber(Math.max(...firsts))}).`,
      `${aloneLine} The most any one of them added is ${formatNumber(most)} of ${formatNumber(counted)} increments ` +
        `(${percent(most, counted)}).`,
    );
    return lines;
  }
  if (lost === 0) {
    lines.push(`The largest value seen is ${formatNumber(max)}: no increment is lost.`);
    return lines;
  }
  lines.push(
    `The largest value seen is ${formatNumber(max)}: ${formatNumber(lost)} of ${formatNumber(counted)} increments ` +
      `(${percent(lost, counted)}) are lost.`,
  );

  const repeatingWorkers = counting.filter((worker) => repeats(worker) > 0);
  const instances = report.instances
    .filter((instance) => instance.counted > 0)
    .map((instance) => ({ counted: instance.counted, min: instance.min_seen, max: instance.max_seen }));
  const instanceRepeats = instances.reduce((total, instance) => total + repeats(instance), 0);
  if (repeatingWorkers.length > 0) {
    const floor = repeatingWorkers.reduce((total, worker) => total + repeats(worker), 0);
    lines.push(
      `${plural(repeatingWorkers.length, 'worker')} returned the same value more than once (at least ` +
        `${plural(floor, 'repeat')}): concurrent increments overwrote each other, a read-modify-write with no lock.`,
    );
  } else if (alone) {
    lines.push(aloneLine);
  } else if (instanceRepeats > 0) {
    lines.push(
      `Workers of one instance returned the same values (at least ${plural(instanceRepeats, 'repeat')}): ` +
        'the count is shared, but its increment is not atomic.',
    );
  } else if (instances.length > 1 && instances.every(contiguous)) {
    lines.push(
      'Each instance counted its own requests with no gap and no repeat: the count is shared inside one ' +
        'cluster, not across clusters.',
    );
  }
  return lines;
};

const sourcesVerdict = (report: HammerReport): string[] => {
  const entries = Object.entries(report.sources);
  if (entries.length === 0) return [];
  const answers = entries.reduce((total, [, count]) => total + count, 0);
  const parts = entries.map(([source, count]) => `${source} ${formatNumber(count)} (${percent(count, answers)})`);
  const lines = [`Sources: ${parts.join(', ')}.`];
  const fromDatabase = report.workers.filter((worker) => (worker.sources.database ?? 0) > 0);
  const withSources = report.workers.filter((worker) => Object.keys(worker.sources).length > 0);
  if (fromDatabase.length > 0) {
    lines.push(
      `${formatNumber(fromDatabase.length)} of the ${plural(withSources.length, 'worker')} that answered went to the database at least once.`,
    );
  }
  return lines;
};

const failureVerdict = (report: HammerReport): string[] => {
  if (report.failed === 0) return ['Failed: none.'];
  const failures = [
    ...Object.entries(report.statuses).filter(([status]) => !/^2\d\d$/.test(status)),
    ...Object.entries(report.errors),
  ]
    .sort(([, a], [, b]) => b - a)
    .map(([what, count]) => `${what} ×${formatNumber(count)}`);
  return [
    `Failed: ${formatNumber(report.failed)} of ${formatNumber(report.requests)} (${percent(report.failed, report.requests)}): ${failures.join(', ')}.`,
  ];
};

/** The sentences under the tables, each built from measured numbers. */
export const buildVerdict = (report: HammerReport): string[] => [
  ...counterVerdict(report),
  ...sourcesVerdict(report),
  ...failureVerdict(report),
];
