// Cache stampedes: a shared cache still pays one database call per request that misses at the same
// moment — 40 concurrent requests for a cold key, 40 calls. Two guards in front of the Redis cache,
// picked per request with `?guard=`:
// - `worker`: concurrent misses for one key inside one worker share one load (single-flight on a
//   promise). Cheap, no coordination, but every worker still loads once: W workers, W calls.
// - `fleet`: one load for the whole fleet, behind a Redis lease (see redis-lock.ts); the others poll
//   the cache until the value lands. A holder killed mid-load blocks nobody for longer than its
//   lease; a wait that runs past its bound falls back to the database rather than hang.
import { AppError, echo } from '../errors.js';
import { sleep } from '../sleep.js';
import { type CacheCounts, fill, isCacheDown, type Lookup, readThrough, type UserCache } from './cache.js';
import type { Database } from './database.js';
import { createInFlight } from './in-flight.js';
import type { CacheLock } from './redis-lock.js';

export const GUARDS = ['none', 'worker', 'fleet'] as const;
export type Guard = (typeof GUARDS)[number];

/**
 * How a guarded request got its answer: `hit` (the cache had it), `loaded` (this request called the
 * database), `joined` (it shared a load another request of this worker made), `waited` (another
 * worker loaded it under the lease; this one read it from Redis), `fallback` (Redis failed, or the
 * wait ran past its bound: it asked the database itself).
 */
export type GuardRole = 'hit' | 'loaded' | 'joined' | 'waited' | 'fallback';

export interface GuardedLookup {
  lookup: Lookup;
  role: GuardRole;
}

/** `?guard=` as the route reads it: absent is `none`, the reference's behaviour. */
export const parseGuard = (raw: string | undefined): Guard => {
  if (raw === undefined) return 'none';
  const guard = GUARDS.find((name) => name === raw);
  if (guard === undefined) {
    throw new AppError(
      'E_BAD_PARAM',
      `Expected \`guard\` to be one of ${GUARDS.join(', ')}, got \`${echo(JSON.stringify(raw).slice(1, -1))}\`.`,
    );
  }
  return guard;
};

/** A lease shorter than this would expire under a merely slow load. */
const MIN_LEASE_MS = 1000;
/** Waiters look again after this, doubling up to POLL_MAX_MS. */
const POLL_FIRST_MS = 5;
/** Longest pause between two looks: the most a waiter answers after the value has landed. */
const POLL_MAX_MS = 20;

export interface LeaseTimings {
  /** How long a lease lasts: a holder silent for this long is presumed dead and replaced. */
  leaseMs: number;
  /** How long a request waits for another's load before it asks the database itself. */
  maxWaitMs: number;
}

/**
 * The lease is twice a normal load (a load that slow is presumed dead); a waiter waits for the lease
 * to run out and one more load, twice over, before it gives up on the others.
 */
export const leaseTimingsFor = (dbDelayMs: number): LeaseTimings => {
  const leaseMs = Math.max(MIN_LEASE_MS, 2 * dbDelayMs);
  return { leaseMs, maxWaitMs: leaseMs + 2 * Math.max(dbDelayMs, MIN_LEASE_MS / 2) };
};

export interface StampedeGuardOptions {
  cache: UserCache;
  counts: CacheCounts;
  db: Database;
  lock: CacheLock;
  timings: LeaseTimings;
}

/** This worker's guard numbers (in /stats under the Redis cache). */
export interface GuardStats {
  /** Requests that shared a load another request of this worker made. */
  guard_joined: number;
  /** Requests that waited for another worker's load and read it from Redis. */
  guard_waited: number;
  /** Requests that gave up waiting (or met a failing Redis) and asked the database themselves. */
  guard_fallbacks: number;
}

export interface StampedeGuard {
  lookup(id: number, guard: Exclude<Guard, 'none'>): Promise<GuardedLookup>;
  stats(): GuardStats;
  reset(): void;
}

export const createStampedeGuard = ({ cache, counts, db, lock, timings }: StampedeGuardOptions): StampedeGuard => {
  const stats: GuardStats = { guard_joined: 0, guard_waited: 0, guard_fallbacks: 0 };
  const loads = { worker: createInFlight<number, GuardedLookup>(), fleet: createInFlight<number, GuardedLookup>() };
  const hit = (data: Lookup['data']): Lookup => ({ source: cache.hitSource, data, bypassed: false });

  const fallback = async (id: number): Promise<GuardedLookup> => {
    stats.guard_fallbacks += 1;
    return { lookup: await fill(cache, db, id), role: 'fallback' };
  };

  /** The cache's value for `id`, or undefined; a cache that fails is the caller's to handle. */
  const look = (id: number) => cache.get(id);

  /** One load for the fleet: take the lease and load, or wait for whoever holds it. */
  const loadUnderLease = async (id: number): Promise<GuardedLookup> => {
    const deadline = performance.now() + timings.maxWaitMs;
    let pauseMs = POLL_FIRST_MS;
    try {
      for (;;) {
        const token = await lock.tryAcquire(id, timings.leaseMs);
        if (token !== null) {
          try {
            // The value may have landed between our miss and our lease: look once more.
            const landed = await look(id);
            if (landed !== undefined) {
              stats.guard_waited += 1;
              return { lookup: hit(landed), role: 'waited' };
            }
            return { lookup: await fill(cache, db, id), role: 'loaded' };
          } finally {
            await lock.release(id, token);
          }
        }
        if (performance.now() >= deadline) return await fallback(id);
        // Jittered, so the waiters of several workers do not all ask at the same instant.
        await sleep(pauseMs * (0.5 + Math.random() / 2));
        pauseMs = Math.min(pauseMs * 2, POLL_MAX_MS);
        const landed = await look(id);
        if (landed !== undefined) {
          stats.guard_waited += 1;
          return { lookup: hit(landed), role: 'waited' };
        }
      }
    } catch (error) {
      // Redis failed under us (down, full): no lease to wait for, the database answers.
      if (!isCacheDown(error)) throw error;
      return fallback(id);
    }
  };

  const loadOnce = (id: number): Promise<GuardedLookup> =>
    fill(cache, db, id).then((lookup) => ({ lookup, role: 'loaded' }));

  return {
    async lookup(id, guard) {
      let missed: GuardedLookup | undefined;
      const lookup = await readThrough(cache, counts, db, id, async (key) => {
        const { promise, joined } = loads[guard].run(key, () =>
          guard === 'worker' ? loadOnce(key) : loadUnderLease(key),
        );
        if (joined) stats.guard_joined += 1;
        const shared = await promise;
        missed = joined ? { lookup: shared.lookup, role: 'joined' } : shared;
        return shared.lookup;
      });
      if (missed !== undefined) return missed;
      return { lookup, role: lookup.bypassed ? 'fallback' : 'hit' };
    },
    stats: () => ({ ...stats }),
    reset() {
      stats.guard_joined = 0;
      stats.guard_waited = 0;
      stats.guard_fallbacks = 0;
    },
  };
};
