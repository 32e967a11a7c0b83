// Memory after a load. Two things a load grows stay grown in an idle worker, because V8 shrinks them
// only in collections it starts itself, and an idle worker allocates nothing, so none comes:
// - the young generation: under load V8 grows it to its maximum (32 MB committed here) and shrinks
//   it only in a scavenge that finds the allocation rate of its last few seconds low;
// - the old generation: objects that outlived two scavenges under load (answers in flight) are
//   promoted, die there, and wait for a full collection that does not come. After 20,000 requests
//   on /user/lru/1 the old space held 27 MB, 25.9 MB of it "used" and nearly all of it dead.
//
// So: once a worker that served requests has been idle for IDLE_SHRINK_AFTER_MS, it runs a scavenge
// (of a nearly empty young generation: well under a millisecond), again every few seconds while V8
// still keeps the young generation large, and then one full collection of V8's "last resort"
// flavour, the one that also compacts and gives free pages back (tens of milliseconds, once per quiet
// spell). Nothing runs per request; a timer reads the request count the worker already keeps. The
// primary starts workers with --expose-gc for this (src/primary/pool.ts); without it, nothing happens.
//
// Measured (private resident memory, RssAnon, from /proc): one worker, 20,000 requests on one route:
// 30.7 MB before, 66.3 MB after, 40.0 MB idle with the scavenge alone, 34.0 MB with the full
// collection too. Two workers, 15,000 requests on each of the 12 routes: 31–34 MB before, 71–80 after,
// 43–51 MB idle. What stays is not garbage: a heap snapshot then holds 12 MB of live objects, 5.4 MB of
// them compiled code for the routes the load ran (a worker fresh from its fork has compiled little).
import { getHeapSpaceStatistics } from 'node:v8';

/** V8 judges the allocation rate over its last 5 s: idle for longer than that, a scavenge shrinks. */
export const IDLE_SHRINK_AFTER_MS = 6000;
const CHECK_EVERY_MS = 1000;
/** Collections tried per quiet spell before leaving the young generation as it is. */
const MAX_TRIES = 4;
/**
 * A young generation this small is shrunk: V8's smallest is 1–2 MB. (Not "its size at start": V8
 * commits 16 MB at start and 32 MB under load, so "at most twice the start" was always true.)
 */
export const SHRUNK_YOUNG_BYTES = 4 * 1024 * 1024;

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
    tries = youngBytes() <= SHRUNK_YOUNG_BYTES ? 0 : tries - 1;
    // Done with the young generation (shrunk, or it would not): now what the load promoted.
    if (tries === 0) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    // Not yet: V8 still counted the load in its rate; try again a little later.
    idleSince = performance.now() - afterMs / 2;
  }, CHECK_EVERY_MS);
  // Never what keeps a worker alive.
  timer.unref();
  return () => clearInterval(timer);
};
