// One process of the naive lockfile counter (see ./lockfile-counter.ts): `concurrency` loops that
// each increment the shared file under its own lock, counted inside a window shared by every process.
// Prints one JSON line (LockfileProcessResult) when the window closes; the bench then stops it.
import { incrementWithLock, type LockfileProcessInput, type LockfileProcessResult } from './lockfile-counter.js';

const input = JSON.parse(process.argv[2] ?? '{}') as LockfileProcessInput;
const result: LockfileProcessResult = { increments: 0, errors: 0 };
const endAt = input.startAt + input.durationMs;

const loop = async (): Promise<void> => {
  while (Date.now() < endAt) {
    try {
      await incrementWithLock(input.file);
      // An increment that completes after the window closed is not counted: it was not in it.
      if (Date.now() <= endAt) result.increments += 1;
    } catch {
      result.errors += 1;
    }
  }
};

const run = async (): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, input.startAt - Date.now())));
  const loops = Array.from({ length: input.concurrency }, loop);
  // Report when the window closes, not when the last loop wakes from a retry wait seconds later.
  setTimeout(() => process.stdout.write(`${JSON.stringify(result)}\n`), Math.max(0, endAt - Date.now()));
  await Promise.all(loops);
};

run().catch((error: unknown) => {
  process.stderr.write(`lock worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
