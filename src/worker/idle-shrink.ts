// Memory after a load. Under load V8 grows a worker's young generation to its maximum (about 32 MB
// here) and keeps it: it shrinks it only in a collection that finds the allocation rate of its last
// few seconds low, and an idle worker allocates nothing, so no collection ever comes. Measured on
// /counter/file, 1 worker: RSS 77 MB before a 5 s load, 93 MB after it, still 93 MB 30 s later; a
// full collection changed nothing, while one young-generation collection once the worker had been
// idle for 6 s took the young generation from 33.6 MB to 1 MB and RSS to 72 MB.
//
// So: once a worker that served requests has been idle for IDLE_SHRINK_AFTER_MS, it runs a minor
// collection (a scavenge of a nearly empty young generation: well under a millisecond), and again a
// few seconds later if V8 still judged the recent rate too high to shrink. Nothing runs per request;
// a timer reads the request count the worker already keeps. The primary starts workers with
// --expose-gc for this (src/primary/pool.ts); without it, nothing happens.
import { getHeapSpaceStatistics } from 'node:v8';

/** V8 judges the allocation rate over its last 5 s: idle for longer than that, a scavenge shrinks. */
export const IDLE_SHRINK_AFTER_MS = 6000;
const CHECK_EVERY_MS = 1000;
/** Collections tried per quiet spell before leaving the young generation as it is. */
const MAX_TRIES = 4;

/** The young generation's committed size, in bytes. */
export const youngGenerationBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;

export interface IdleShrinkOptions {
  /** Requests served so far (any count that grows with every request). */
  served: () => number;
  /** The collector, when the worker has one (`globalThis.gc` under --expose-gc). */
  gc: NodeJS.GCFunction | undefined;
  /** @default the young generation's committed size, from node:v8 */
  youngBytes?: () => number;
  afterMs?: number;
}

/** Start watching; returns a stop function. Does nothing without a collector. */
export const startIdleShrink = ({
  served,
  gc,
  youngBytes = youngGenerationBytes,
  afterMs = IDLE_SHRINK_AFTER_MS,
}: IdleShrinkOptions): (() => void) => {
  if (gc === undefined) return () => {};
  // What the young generation holds before any load: shrunk means back near it.
  const smallest = youngBytes();
  let seen = served();
  let tries = 0;
  let idleSince = performance.now();
  const timer = setInterval(() => {
    const now = served();
    if (now !== seen) {
      seen = now;
      tries = MAX_TRIES;
      idleSince = performance.now();
      return;
    }
    if (tries === 0 || performance.now() - idleSince < afterMs) return;
    gc({ type: 'minor' });
    tries = youngBytes() <= smallest * 2 ? 0 : tries - 1;
    // Not yet: V8 still counted the load in its rate; try again a little later.
    idleSince = performance.now() - afterMs / 2;
  }, CHECK_EVERY_MS);
  // Never what keeps a worker alive.
  timer.unref();
  return () => clearInterval(timer);
};
