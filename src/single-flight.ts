// Many callers, one run: everyone who asks while a run is waiting to start shares it, a run starts
// only once the previous one has finished, and no sooner than `minGapMs` after it started. Unlike a
// cache, nobody is handed a result that was computed before they asked: a reader sees everything
// that happened before its request (a lesson that reads /cluster right after its load sees the load).
// The price is latency, not staleness: under a flood, a caller waits at most the gap plus one run.
import { sleep } from './sleep.js';

export interface SingleFlightOptions {
  /** Least time between the starts of two runs; 0: back to back. */
  minGapMs: number;
}

export const singleFlight = <T>(run: () => Promise<T>, { minGapMs }: SingleFlightOptions): (() => Promise<T>) => {
  // Settles when the run in flight does (never rejects: its callers see its error, not this chain).
  let previous: Promise<unknown> = Promise.resolve();
  let lastStartMs = Number.NEGATIVE_INFINITY;
  // The run that callers arriving now will share: it has not started yet.
  let next: Promise<T> | null = null;

  const startWhenDue = async (): Promise<T> => {
    await previous;
    const waitMs = lastStartMs + minGapMs - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    // From here on this run has started: a later caller must not join it, it waits for the next.
    next = null;
    lastStartMs = performance.now();
    const result = run();
    previous = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  return () => {
    next ??= startWhenDue();
    return next;
  };
};
