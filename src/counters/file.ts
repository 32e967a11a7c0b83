// A counter in a JSON file, guarded by proper-lockfile: exact across every process on one machine,
// and it survives crashes and restarts. Each commit is lock → read → write a temp file → rename →
// unlock, so a process killed at any moment leaves the old file or the new one, never half of one.
// The lock is a cross-process round trip through the file system, so a worker batches the
// increments that arrive while it holds the lock and commits them together (group commit).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { sleep } from '../sleep.js';
import { batchIncrements } from './batch.js';
import { type Counter, type CounterStrategy, lastSeen } from './strategy.js';

export const FILE_COUNTER_NAME = 'counter.json';

/** `<data dir>/counter.json`. */
export const fileCounterPath = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, FILE_COUNTER_NAME);

/**
 * How the lab takes the lock. `stale`: a lock whose holder stopped refreshing it for 2 s (it was
 * killed) is taken over; proper-lockfile's minimum. The waits between tries are short, growing and
 * randomised (1 → 20 ms), and add up to about 3 s: longer than `stale`, so a dead holder's lock is
 * taken over within one request, and short enough that a stuck lock is a 503 rather than a hang.
 */
export const FILE_LOCK_OPTIONS = { stale: 2000, update: 1000, realpath: false } as const;
export const FILE_LOCK_TIMEOUT_MS = 3000;
const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 20;
const QUICK_RETRIES = 3;

export interface FileCounterOptions {
  /** The counter file: `<data dir>/counter.json`. */
  path: string;
}

const corrupt = (path: string, detail: string): AppError =>
  new AppError(
    'E_CORRUPT_STATE',
    `The counter file ${path} is not a valid counter (${detail}); it was left as it is: fix or delete it.`,
  );

const parseCounter = (path: string, text: string): number => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(path, 'not JSON');
  }
  const value = (parsed as { value?: unknown } | null)?.value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw corrupt(path, 'expected {"value": <non-negative integer>}');
  }
  return value;
};

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** The value in the counter file: 0 when it does not exist yet, an error naming the file when corrupt. */
export const readFileCounter = async (path: string): Promise<number> => {
  try {
    return parseCounter(path, await readFile(path, 'utf8'));
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
};

const readFileCounterSync = (path: string): number => {
  try {
    return parseCounter(path, readFileSync(path, 'utf8'));
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
};

/** The lock's release function, or null when another process holds it. */
const tryLock = (path: string): (() => void) | null => {
  try {
    // We hold the lock for microseconds; if it is compromised anyway, the write still goes through
    // rename, and the next commit re-reads the file. Not worth crashing the worker.
    return lockfile.lockSync(path, { ...FILE_LOCK_OPTIONS, onCompromised: () => {} });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw error;
  }
};

/**
 * Lock the counter file, turn its value into a new one, write it atomically, unlock. The critical
 * section is synchronous on purpose: a few small syscalls on a local file take microseconds, while
 * asynchronous ones would hold the lock across several turns of the event loop and the thread pool,
 * with every other process waiting. Waiting for the lock, on the other hand, never blocks.
 */
export const updateFileCounter = async (path: string, update: (value: number) => number): Promise<number> => {
  const deadline = performance.now() + FILE_LOCK_TIMEOUT_MS;
  for (let attempt = 0, wait = FIRST_RETRY_MS; ; attempt += 1) {
    const release = tryLock(path);
    if (release !== null) {
      try {
        const value = update(readFileCounterSync(path));
        const temp = `${path}.${process.pid}.tmp`;
        writeFileSync(temp, `${JSON.stringify({ value })}\n`);
        renameSync(temp, path);
        return value;
      } finally {
        try {
          release();
        } catch {
          // Already released by a takeover; the value above was written before it.
        }
      }
    }
    if (performance.now() > deadline) {
      throw new AppError('E_LOCK_TIMEOUT', `Could not lock ${path} within ${FILE_LOCK_TIMEOUT_MS} ms; try again.`);
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

export const createFileCounter = ({ path }: FileCounterOptions): Counter => {
  const seen = lastSeen();
  return {
    name: 'file',
    increment: batchIncrements(async (by) => seen.record(await updateFileCounter(path, (value) => value + by))),
    peek: seen.peek,
    reset: seen.reset,
  };
};

export const fileStrategy: CounterStrategy = {
  name: 'file',
  scope: 'host',
  exact: true,
  survives: { crash: true, restart: true },
  summary: 'a JSON file in the data dir, under a proper-lockfile lock, replaced atomically',
  createCounter: ({ config }) => createFileCounter({ path: fileCounterPath(config) }),
  createStorage: ({ config }) => {
    const path = fileCounterPath(config);
    return {
      read: () => readFileCounter(path).catch(() => null),
      reset: async () => {
        await updateFileCounter(path, () => 0);
      },
    };
  },
};
