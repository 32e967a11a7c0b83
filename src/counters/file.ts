// A counter in a JSON file, guarded by proper-lockfile: exact across every process on one machine,
// and it survives crashes and restarts. Each commit is lock → read → write a temp file → rename →
// unlock, so a process killed at any moment leaves the old file or the new one, never half of one.
// The lock is a cross-process round trip through the file system, so a worker batches the
// increments that arrive while it holds the lock and commits them together (group commit).
import { readFile, rename, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { AppError } from '../errors.js';
import { batchIncrements } from './batch.js';
import type { Counter } from './counter.js';

export const FILE_COUNTER_NAME = 'counter.json';

/**
 * How the lab takes the lock. The library's default is one try and no retry; with retries its
 * first wait is a full second. Here: short, growing, randomised waits (5 → 50 ms) adding up to
 * about 3 s — longer than `stale`, so a lock left by a killed process is taken over within one
 * request, and short enough that a stuck lock is a 503 rather than a hang.
 */
export const FILE_LOCK_OPTIONS = {
  stale: 2000,
  update: 1000,
  realpath: false,
  retries: { retries: 70, minTimeout: 5, maxTimeout: 50, factor: 1.5, randomize: true },
} as const;

export interface FileCounterOptions {
  /** The counter file: `<data dir>/counter.json`. */
  path: string;
}

const corrupt = (path: string, detail: string): AppError =>
  new AppError(
    'E_CORRUPT_STATE',
    `The counter file ${path} is not a valid counter (${detail}); it was left as it is: fix or delete it.`,
  );

/** The value in the counter file: 0 when it does not exist yet, an error naming the file when corrupt. */
export const readFileCounter = async (path: string): Promise<number> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
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

/** Lock the counter file, turn its value into a new one, write it atomically, unlock. */
export const updateFileCounter = async (path: string, update: (value: number) => number): Promise<number> => {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      ...FILE_LOCK_OPTIONS,
      // We hold the lock for milliseconds; if it is compromised anyway, the write below still goes
      // through rename, and the next commit re-reads the file. Not worth crashing the worker.
      onCompromised: () => {},
    });
  } catch (error) {
    throw new AppError('E_LOCK_TIMEOUT', `Could not lock ${path} within about 3 s; try again.`, { cause: error });
  }
  try {
    const value = update(await readFileCounter(path));
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ value })}\n`);
    await rename(temp, path);
    return value;
  } finally {
    await release().catch(() => {});
  }
};

export const createFileCounter = ({ path }: FileCounterOptions): Counter => {
  let lastSeen: number | null = null;

  const commit = async (by: number): Promise<number> => {
    lastSeen = await updateFileCounter(path, (value) => value + by);
    return lastSeen;
  };

  return {
    name: 'file',
    increment: batchIncrements(commit),
    peek: () => lastSeen,
    reset: () => {
      lastSeen = null;
    },
  };
};
