// What each counter strategy costs, measured so that the order survives a noisy machine: kept-alive
// connections (no connection set-up in the price), a fixed duration per measurement, the strategies
// interleaved round by round (A B C, B C A, …) so a burst of someone else's load hits all of them
// alike, and the server's CPU time per request read from /proc (the bench's measure) beside req/s.
// The verdict on the order says plainly when the ranges overlap: then it is noise, not a finding.
import { readCpuMs } from '../bench/system.js';
import { runLoad } from '../hammer/load.js';
import { formatNumber } from '../hammer/text.js';

export interface CostOptions {
  baseUrl: string;
  strategies: readonly string[];
  /** Every process that serves the requests: primary, workers, a redis-server the demo started. */
  pids: readonly number[];
  rounds: number;
  durationMs: number;
  concurrency: number;
}

/** One strategy's measurements, one per round. */
export interface Cost {
  strategy: string;
  rps: number[];
  /** Server CPU µs per answered request; null where /proc could not be read. */
  cpuUs: (number | null)[];
}

const measureOnce = async (url: string, pids: readonly number[], durationMs: number, concurrency: number) => {
  const cpuBefore = await readCpuMs(pids);
  let answered = 0;
  const { elapsedMs } = await runLoad({
    urls: [url],
    durationMs,
    concurrency,
    keepAlive: true,
    keepSamples: false,
    onSample: (sample) => {
      if (sample.status !== null && sample.status < 300) answered += 1;
    },
  });
  const cpuAfter = await readCpuMs(pids);
  return {
    rps: answered / (elapsedMs / 1000),
    cpuUs:
      cpuBefore === null || cpuAfter === null || answered === 0 ? null : ((cpuAfter - cpuBefore) * 1000) / answered,
  };
};

/**
 * Unrecorded passes over every route first: one is not enough — the routes share code (the response,
 * the metrics), and V8 re-optimises it once it has seen them all, which made the first recorded round
 * of whichever route came first several times dearer.
 */
const WARM_UP_MS = 300;
const WARM_UP_PASSES = 2;

/**
 * Every strategy, `rounds` times, interleaved, after a warm-up. Each round starts one strategy later
 * (A B C, B C A, C A B), so no strategy always follows the same one.
 */
export const measureCosts = async (options: CostOptions): Promise<Cost[]> => {
  const costs: Cost[] = options.strategies.map((strategy) => ({ strategy, rps: [], cpuUs: [] }));
  for (let pass = 0; pass < WARM_UP_PASSES; pass += 1) {
    for (const cost of costs) {
      await measureOnce(`${options.baseUrl}/counter/${cost.strategy}`, options.pids, WARM_UP_MS, options.concurrency);
    }
  }
  for (let round = 0; round < options.rounds; round += 1) {
    for (let step = 0; step < costs.length; step += 1) {
      const cost = costs[(round + step) % costs.length] as Cost;
      const { rps, cpuUs } = await measureOnce(
        `${options.baseUrl}/counter/${cost.strategy}`,
        options.pids,
        options.durationMs,
        options.concurrency,
      );
      cost.rps.push(rps);
      cost.cpuUs.push(cpuUs);
    }
  }
  return costs;
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const known = (values: readonly (number | null)[]): number[] =>
  values.filter((value): value is number => value !== null);

/** "1,234 (1,100–1,300)": the median and the spread of the rounds. */
export const spreadText = (values: readonly (number | null)[]): string => {
  const numbers = known(values);
  if (numbers.length === 0) return '-';
  const round = (value: number) => formatNumber(Math.round(value));
  return numbers.length === 1
    ? round(numbers[0] as number)
    : `${round(median(numbers))} (${round(Math.min(...numbers))}–${round(Math.max(...numbers))})`;
};

/**
 * How a strategy's CPU per request compares with the reference's (`local`), round by round: the rounds
 * are interleaved, so each round's pair ran under the same conditions on the machine. `costlier` when
 * it cost more than the reference in every round, `cheaper` when less in every round, `noise` when the
 * rounds disagree.
 */
export const compareWith = (reference: Cost, other: Cost): 'costlier' | 'cheaper' | 'noise' | 'unknown' => {
  const pairs = reference.cpuUs.flatMap((base, round) => {
    const them = other.cpuUs[round];
    return base === null || base === undefined || them === null || them === undefined ? [] : [them - base];
  });
  if (pairs.length === 0) return 'unknown';
  if (pairs.every((difference) => difference > 0)) return 'costlier';
  if (pairs.every((difference) => difference < 0)) return 'cheaper';
  return 'noise';
};
