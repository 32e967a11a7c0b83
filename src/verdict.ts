// What a counter run means, defined once. The dashboard (through the primary), the hammer and the
// demo all judge a run with `judgeCounterRun`, so they can never disagree on what "lost" is:
//
//   expected   = the 2xx answers: increments a client was told about
//   true total = what the strategy's storage holds now, minus what it held before the run (per host
//                for a host-scoped strategy, once for a fleet-scoped one), or — for a worker-scoped
//                one — what each worker holds now, minus what it held before, added up
//   lost       = expected − true total
//
// and beside them the largest answer a client saw, counted from the same baseline: the number a
// user would believe. Baselines are measured before the run, never guessed from the answers.
import type { Scope } from './counters/strategy.js';

/** One worker's part in a run of a worker-scoped strategy. */
export interface WorkerPart {
  instance: string;
  id: number;
  pid: number;
  /** Its count before the run; 0 for a worker born during it. */
  before: number;
  /** Its count now; null when it died during the run. */
  after: number | null;
  /** What it held when it died (its last known count); only for a worker that died. */
  heldAtDeath?: number | null;
  /** This part stands for this many workers that died long ago, added up (id and pid are then 0). */
  folded?: number;
}

/** One store of a shared strategy: the primary's memory or the disk of one host, or the one Redis. */
export interface StorePart {
  instance: string;
  /** null: it could not be read. */
  before: number | null;
  after: number | null;
}

export interface CounterRun {
  strategy: string;
  scope: Scope;
  /** 2xx answers that carried a current_count. */
  expected: number;
  /** Worker scope: every worker that was there before, during or after the run. */
  workers?: readonly WorkerPart[];
  /** Host and fleet scope: each store once (one per instance for host scope, one for fleet scope). */
  stores?: readonly StorePart[];
  /** The largest answer a client saw, over the baseline of whoever answered it; null with no answer. */
  largestSeen: number | null;
}

export type VerdictKind = 'exact' | 'split' | 'lost' | 'more' | 'unreadable' | 'idle';

export interface DeadWorker {
  instance: string;
  id: number;
  pid: number;
  /** The increments of this run that died with it (what it held over its baseline). */
  took: number;
  /** Stands for this many earlier workers, added up. */
  folded?: number;
}

export interface CounterVerdict {
  strategy: string;
  scope: Scope;
  kind: VerdictKind;
  expected: number;
  /** null when a store could not be read. */
  true_total: number | null;
  /** expected − true total; negative when something else counted too. */
  lost: number | null;
  largest_seen: number | null;
  /** Workers that died during the run, each with what died with it. */
  died: DeadWorker[];
  /** Of `lost`, what died with workers; the rest was overwritten (a read-modify-write race). */
  lost_to_deaths: number;
  lost_to_races: number | null;
  /** Each store's share of the true total, for a strategy kept in more than one place. */
  shares: { instance: string; count: number }[];
  /** Sentences built from these numbers, for people. */
  sentences: string[];
}

const NUMBER = new Intl.NumberFormat('en-US');
const n = (value: number): string => NUMBER.format(value);
const who = (worker: { instance: string; id: number; pid: number; folded?: number }, instances: number): string =>
  worker.folded === undefined
    ? `${instances > 1 ? `${worker.instance} ` : ''}worker ${worker.id} (pid ${worker.pid})`
    : `${n(worker.folded)} earlier worker${worker.folded === 1 ? '' : 's'}${instances > 1 ? ` of ${worker.instance}` : ''}`;

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** Judge one run of one counter strategy. Pure: the same facts always give the same verdict. */
export const judgeCounterRun = (run: CounterRun): CounterVerdict => {
  const workers = run.workers ?? [];
  const stores = run.stores ?? [];
  const instances = new Set([...workers.map((worker) => worker.instance), ...stores.map((store) => store.instance)])
    .size;

  const died: DeadWorker[] = workers
    .filter((worker) => worker.after === null)
    .map((worker) => ({
      instance: worker.instance,
      id: worker.id,
      pid: worker.pid,
      took: Math.max(0, (worker.heldAtDeath ?? worker.before) - worker.before),
      ...(worker.folded === undefined ? {} : { folded: worker.folded }),
    }));

  let trueTotal: number | null;
  let shares: { instance: string; count: number }[];
  if (run.scope === 'worker') {
    const byInstance = new Map<string, number>();
    for (const worker of workers) {
      if (worker.after === null) continue;
      byInstance.set(worker.instance, (byInstance.get(worker.instance) ?? 0) + worker.after - worker.before);
    }
    shares = [...byInstance].map(([instance, count]) => ({ instance, count }));
    trueTotal = sum(shares.map((share) => share.count));
  } else {
    const readable = stores.every((store) => store.before !== null && store.after !== null);
    shares = readable
      ? stores.map((store) => ({ instance: store.instance, count: (store.after ?? 0) - (store.before ?? 0) }))
      : [];
    trueTotal = readable && stores.length > 0 ? sum(shares.map((share) => share.count)) : null;
  }

  const lost = trueTotal === null ? null : run.expected - trueTotal;
  const lostToDeaths = Math.min(Math.max(0, lost ?? 0), sum(died.map((worker) => worker.took)));
  const lostToRaces = lost === null ? null : Math.max(0, lost - lostToDeaths);
  const largest = run.largestSeen;

  let kind: VerdictKind;
  if (run.expected === 0 && (trueTotal ?? 0) === 0) kind = 'idle';
  else if (trueTotal === null || lost === null) kind = 'unreadable';
  else if (lost > 0) kind = 'lost';
  else if (lost < 0) kind = 'more';
  else if (largest !== null && largest < trueTotal) kind = 'split';
  else kind = 'exact';

  const sentences: string[] = [];
  const answers = `${n(run.expected)} answer${run.expected === 1 ? '' : 's'}`;
  const holder =
    run.scope === 'worker'
      ? `the workers' counts add up to`
      : stores.length > 1
        ? `the ${stores.length} stores add up to`
        : 'the store holds';
  switch (kind) {
    case 'idle':
      sentences.push('No increments yet.');
      break;
    case 'unreadable':
      sentences.push(`${answers}; the count cannot be read now (is its store reachable?).`);
      break;
    case 'exact':
      sentences.push(`${answers}; ${holder} ${n(trueTotal as number)}: exact, nothing lost.`);
      break;
    case 'split':
      sentences.push(
        `${answers}; ${holder} ${n(trueTotal as number)}, so nothing is lost, but the largest answer a client saw is ` +
          `${n(largest as number)}: no ${run.scope === 'worker' ? 'worker' : 'store'} knows the total.`,
      );
      break;
    case 'more':
      sentences.push(
        `${answers}, yet ${holder} ${n(trueTotal as number)}: ${n(-(lost as number))} more than this run made (other clients, or answers that never arrived).`,
      );
      break;
    case 'lost': {
      const part = (value: number): string => `${n(value)} of ${n(run.expected)}`;
      sentences.push(`${answers}; ${holder} ${n(trueTotal as number)}: ${part(lost as number)} increments lost.`);
      if (lostToDeaths > 0) {
        const names = died
          .filter((worker) => worker.took > 0)
          .map((worker) => `${who(worker, instances)} took ${n(worker.took)}`);
        sentences.push(`${n(lostToDeaths)} died with their workers: ${names.join(', ')}.`);
      }
      if ((lostToRaces ?? 0) > 0) {
        sentences.push(`${n(lostToRaces as number)} were overwritten: read, await, write is not atomic.`);
      }
      break;
    }
  }
  if (kind !== 'idle' && kind !== 'unreadable' && kind !== 'split' && largest !== null) {
    sentences.push(`The largest answer a client saw is ${n(largest)}.`);
  }
  if (shares.length > 1 && kind !== 'idle') {
    sentences.push(
      `Per ${run.scope === 'worker' ? 'instance' : 'store'}: ${shares.map((share) => `${share.instance} ${n(share.count)}`).join(', ')}.`,
    );
  }
  // Nothing counted, nothing taken: naming the dead would only be noise.
  for (const worker of kind === 'idle' ? [] : died) {
    if (worker.took === 0 || kind !== 'lost') sentences.push(`${who(worker, instances)} died during the run.`);
  }

  return {
    strategy: run.strategy,
    scope: run.scope,
    kind,
    expected: run.expected,
    true_total: trueTotal,
    lost,
    largest_seen: largest,
    died,
    lost_to_deaths: lostToDeaths,
    lost_to_races: lostToRaces,
    shares,
    sentences,
  };
};
