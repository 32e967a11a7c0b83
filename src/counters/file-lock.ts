// The file counter's lock: a proper-lockfile lease on `<data dir>/file-counter`. It keeps the holders
// in turn, cheaply, while all is well; it cannot keep a holder that stalled past the lease from
// writing late, which is why the store fences its writes (file-store.ts).
import { statSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { AppError } from '../errors.js';
import { sleep } from '../sleep.js';

/**
 * How the lab takes the lock. `stale`: a lock whose holder stopped refreshing it for 2 s (it was
 * killed, or it stalled) is taken over; proper-lockfile's minimum. The waits between tries are short,
 * growing and randomised (1 → 20 ms), and add up to about 3 s: longer than `stale`, so a dead holder's
 * lock is taken over within one request, and short enough that a stuck lock is a 503 rather than a hang.
 */
export const FILE_LOCK_OPTIONS = { stale: 2000, update: 1000, realpath: false } as const;
export const FILE_LOCK_TIMEOUT_MS = 3000;
const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 20;
const QUICK_RETRIES = 3;

export interface Lease {
  /** Unlock, unless the lock was taken over meanwhile: then its directory is the new holder's. */
  release(): void;
}

const tryLock = (target: string): Lease | null => {
  let unlock: () => void;
  try {
    // The lock is compromised only when this process stalled past `stale`; the fence deals with that.
    unlock = lockfile.lockSync(target, { ...FILE_LOCK_OPTIONS, onCompromised: () => {} });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw error;
  }
  const acquiredAt = Date.now();
  return {
    release() {
      // The critical section is synchronous, so the lock's refresh timer never ran: its directory
      // still has the mtime we gave it (at most ~1 s ahead, on a process's first lock). A takeover's is
      // at least `stale` later, and no directory means it was removed; removing the new holder's
      // would let a third process in beside it.
      if (Date.now() - acquiredAt >= FILE_LOCK_OPTIONS.stale / 2) {
        const mtimeMs = statSync(`${target}.lock`, { throwIfNoEntry: false })?.mtimeMs;
        if (mtimeMs === undefined || mtimeMs > acquiredAt + FILE_LOCK_OPTIONS.stale * 0.75) return;
      }
      try {
        unlock();
      } catch {
        // Already released by a takeover.
      }
    },
  };
};

/**
 * Take the lock: at once if it is free, else retry on the next tick, then after short randomised
 * sleeps, for at most FILE_LOCK_TIMEOUT_MS (an E_LOCK_TIMEOUT). Waiting never blocks the event loop.
 */
export const acquireFileLock = async (target: string): Promise<Lease> => {
  const deadline = performance.now() + FILE_LOCK_TIMEOUT_MS;
  for (let attempt = 0, wait = FIRST_RETRY_MS; ; attempt += 1) {
    const lease = tryLock(target);
    if (lease !== null) return lease;
    if (performance.now() > deadline) {
      throw new AppError(
        'E_LOCK_TIMEOUT',
        `Could not lock ${target} within ${FILE_LOCK_TIMEOUT_MS} ms (another process holds it); try again.`,
      );
    }
    if (attempt < QUICK_RETRIES) {
      // The holder keeps the lock for microseconds: the next turn of the event loop is often enough.
      await new Promise((resolve) => setImmediate(resolve));
    } else {
      await sleep(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 1.5, MAX_RETRY_MS);
    }
  }
};
