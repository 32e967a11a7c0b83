// A counter on disk: exact across the processes of one machine, it survives crashes and restarts. Its
// lock is a lease that a stalled holder (GC pause, SIGSTOP, swap) loses without knowing, so each
// commit creates a version that can be created once (file-commit.ts) and a late write is refused;
// `--file-fencing off` shows the lease alone (lesson 8). Where it breaks: one machine's disk only.
import cluster from 'node:cluster';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../log.js';
import { batchIncrements } from './batch.js';
import { collectGarbage, commitNext } from './file-commit.js';
import {
  asStorageError,
  type ConditionNotice,
  createConditionLog,
  createConditionReporter,
} from './file-conditions.js';
import { acquireFileLock } from './file-lock.js';
import { type Cursor, createCursor, type FileStore, type Head, openFileStore, peekCount } from './file-store.js';
import { commitUnfenced } from './file-unfenced.js';
import { type Counter, type CounterStrategy, lastSeen } from './strategy.js';

export { type FileStore, openFileStore } from './file-store.js';

/** The file counter's store for a config: `<data dir>/file-counter`, fenced unless `--file-fencing off`. */
export const fileStoreOf = (config: Pick<Config, 'dataDir' | 'fileFencing'>): FileStore =>
  openFileStore({ dataDir: config.dataDir, fencing: config.fileFencing });

/** `value + by`, refused past 2^53 - 1: beyond it a JavaScript number no longer counts exactly. */
export const addWithinSafeRange = (value: number, by: number): number => {
  if (value + by > Number.MAX_SAFE_INTEGER) {
    throw new AppError(
      'E_COUNTER_OVERFLOW',
      `The file counter is at ${value}; adding ${by} would pass ${Number.MAX_SAFE_INTEGER} (2^53 - 1), the largest ` +
        'count it keeps exactly. Reset it (POST /admin/reset?shared=1) to count on.',
    );
  }
  return value + by;
};

/**
 * Lock, commit the next version, unlock; then collect old versions now and then. The commit is
 * synchronous on purpose: a few small system calls on a local disk take microseconds, while
 * asynchronous ones would hold the lock across several turns of the event loop and the thread pool,
 * with every other process waiting. Waiting for the lock, on the other hand, never blocks.
 */
export const updateFileCounter = async (
  store: FileStore,
  cursor: Cursor,
  update: (value: number) => number,
): Promise<Head> => {
  let head: Head;
  try {
    const lease = await acquireFileLock(store.dir);
    try {
      head = store.fencing ? commitNext(store, cursor, update) : commitUnfenced(store, update);
    } finally {
      lease.release();
    }
  } catch (error) {
    throw asStorageError(error, store);
  }
  // Not awaited: the removals run beside the next requests.
  if (store.fencing) void collectGarbage(store, head.version);
  return head;
};

export interface FileCounterOptions {
  store: FileStore;
  /** Where conditions go (the primary logs them once for the cluster); never throws. */
  report?: (notice: ConditionNotice) => void;
}

/** Where a worker's file counter spends its commits: how many, how large, how long the lock took. */
interface FileCommitStats {
  commits: number;
  /** Increments written by those commits: batched / commits is the mean batch. */
  batched: number;
  /** From a commit's start to its batch taken inside the lock: waiting for the lock, mostly. */
  lock_wait_ms: number;
}

export const createFileCounter = ({ store, report = () => {} }: FileCounterOptions): Counter => {
  const seen = lastSeen();
  const cursor = createCursor();
  const conditions = createConditionReporter(report);
  const stats: FileCommitStats = { commits: 0, batched: 0, lock_wait_ms: 0 };
  return {
    name: 'file',
    // The batch is taken inside the lock: what arrived while this worker waited for it goes in too.
    increment: batchIncrements(async (take) => {
      const started = performance.now();
      let taken = 0;
      try {
        const { value } = await updateFileCounter(store, cursor, (current) => {
          stats.lock_wait_ms += performance.now() - started;
          taken = take();
          return addWithinSafeRange(current, taken);
        });
        stats.commits += 1;
        stats.batched += taken;
        conditions.succeeded();
        return seen.record(value);
      } catch (error) {
        conditions.failed(error);
        throw error;
      }
    }),
    peek: seen.peek,
    stats: () => ({ ...stats, lock_wait_ms: Math.round(stats.lock_wait_ms) }),
    reset() {
      seen.reset();
      stats.commits = 0;
      stats.batched = 0;
      stats.lock_wait_ms = 0;
    },
  };
};

/** How long a worker waits for the primary to take note of a condition (it is only a log line). */
const CONDITION_NOTICE_TIMEOUT_MS = 2000;

export const fileStrategy: CounterStrategy = {
  name: 'file',
  scope: 'host',
  exact: true,
  survives: { crash: true, restart: true },
  summary: 'a record per commit in the data dir, under a proper-lockfile lock, each version written once',
  createCounter: ({ config, channel }) =>
    createFileCounter({
      store: fileStoreOf(config),
      report: (notice) => {
        const worker = cluster.worker?.id ?? 0;
        channel
          .request(
            'file-counter-condition',
            { worker, ...notice },
            {
              timeoutMs: CONDITION_NOTICE_TIMEOUT_MS,
              what: 'the file counter condition',
            },
          )
          .catch(() => {});
      },
    }),
  createStorage: ({ config, handle }) => {
    const store = fileStoreOf(config);
    const cursor = createCursor();
    handle('file-counter-condition', createConditionLog(createLogger('primary', config.logFormat)));
    return {
      // null, not 0, when it cannot be read (the data dir is gone, a path has the wrong type, corrupt).
      read: async () => {
        try {
          return peekCount(store, cursor);
        } catch {
          return null;
        }
      },
      reset: async () => {
        await updateFileCounter(store, cursor, () => 0);
      },
    };
  },
};
