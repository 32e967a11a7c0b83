// The comparison point for /counter/file: the naive way, one proper-lockfile lock per increment with
// the retry timing the library gets from `retry` when you only say how many retries (first wait 1 s,
// doubling). Under contention the losers sleep a whole second, so the file sits idle while requests
// wait; the lab's counter is measured against this in worker processes at the same concurrency.
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lock } from 'proper-lockfile';
import type { ProcessGroup } from '../lib/processes.js';

/**
 * proper-lockfile's defaults (stale 10 s, update 5 s, realpath) plus `retries: 10`, which the library
 * hands to `retry` with that module's default timing: minTimeout 1000 ms, factor 2, no jitter.
 */
export const NAIVE_LOCK_OPTIONS = { retries: 10 } as const;
export const NAIVE_LOCK_DESCRIPTION =
  'proper-lockfile 4 `lock(file, { retries: 10 })`: library defaults (stale 10000 ms, update 5000 ms, realpath) and `retry` defaults for the waits (minTimeout 1000 ms, factor 2, maxTimeout Infinity, randomize false); no in-process mutex';

const PROCESS_SCRIPT = fileURLToPath(new URL('./lockfile-process.js', import.meta.url));
/** Lets every process finish starting before the shared measurement window opens. */
const START_DELAY_MS = 700;

/** Lock, read, write a temp file, rename over the counter, unlock: one increment. */
export const incrementWithLock = async (file: string): Promise<number> => {
  const release = await lock(file, NAIVE_LOCK_OPTIONS);
  try {
    const { count } = JSON.parse(await readFile(file, 'utf8')) as { count: number };
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ count: count + 1 }));
    await rename(temp, file);
    return count + 1;
  } finally {
    await release();
  }
};

export interface LockfileProcessInput {
  file: string;
  concurrency: number;
  startAt: number;
  durationMs: number;
}

export interface LockfileProcessResult {
  increments: number;
  errors: number;
}

export interface LockfileMeasurement {
  processes: number;
  concurrency: number;
  duration_s: number;
  increments: number;
  increments_per_s: number;
  errors: number;
  /** The file's count once every process was stopped (increments in flight at the end may land). */
  final_count: number;
  lock_options: string;
}

/** Split `total` loops over `parts` processes as evenly as integers allow. */
const split = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));

/** Fork `processes` lock workers sharing `concurrency` loops and one counter file, for `durationS`. */
export const measureLockfileCounter = async ({
  group,
  processes,
  concurrency,
  durationS,
}: {
  group: ProcessGroup;
  processes: number;
  concurrency: number;
  durationS: number;
}): Promise<LockfileMeasurement> => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-lockfile-'));
  const file = join(dir, 'counter.json');
  await writeFile(file, JSON.stringify({ count: 0 }));
  const startAt = Date.now() + START_DELAY_MS;
  const durationMs = durationS * 1000;
  const children = split(concurrency, processes)
    .filter((loops) => loops > 0)
    .map((loops) => {
      const input: LockfileProcessInput = { file, concurrency: loops, startAt, durationMs };
      return group.spawn(process.execPath, [PROCESS_SCRIPT, JSON.stringify(input)]);
    });
  try {
    const results = await Promise.all(
      children.map(
        (child) =>
          new Promise<LockfileProcessResult>((resolve, reject) => {
            let out = '';
            child.stdout?.setEncoding('utf8');
            child.stdout?.on('data', (chunk: string) => {
              out += chunk;
              if (out.includes('\n')) resolve(JSON.parse(out) as LockfileProcessResult);
            });
            child.stderr?.resume();
            child.once('close', (code, signal) => reject(new Error(`lock worker exited early (${signal ?? code})`)));
          }),
      ),
    );
    // Stragglers may sit in a multi-second retry wait: their share was counted, stop them now.
    await Promise.all(children.map((child) => group.stop(child)));
    const { count } = JSON.parse(await readFile(file, 'utf8')) as { count: number };
    const increments = results.reduce((sum, result) => sum + result.increments, 0);
    return {
      processes: children.length,
      concurrency,
      duration_s: durationS,
      increments,
      increments_per_s: increments / durationS,
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      final_count: count,
      lock_options: NAIVE_LOCK_DESCRIPTION,
    };
  } finally {
    await Promise.all(children.map((child) => group.stop(child)));
    await rm(dir, { recursive: true, force: true });
  }
};
