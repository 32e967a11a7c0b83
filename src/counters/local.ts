// The reference's global counter: a variable in this worker's memory, read-modify-write under an
// async mutex (Python's `async with lock: counter += 1`). Exact inside one worker; with N workers
// there are N copies of it, each counting alone, and a crash or restart loses it.
import { Mutex } from 'async-mutex';
import { sleep } from '../sleep.js';
import type { Counter, CounterStrategy } from './strategy.js';

export interface LocalCounterOptions {
  /**
   * An await between read and write, to show that the mutex is what keeps the count exact then.
   * The route uses 0, as the reference does.
   * @default 0
   */
  ioDelayMs?: number;
}

export const createLocalCounter = ({ ioDelayMs = 0 }: LocalCounterOptions = {}): Counter => {
  const mutex = new Mutex();
  let count = 0;

  const readModifyWrite = async (): Promise<number> => {
    const read = count;
    if (ioDelayMs > 0) await sleep(ioDelayMs);
    count = read + 1;
    return count;
  };

  // With no await inside, nothing can interleave with the critical section, so a free lock is taken
  // and released within one tick: no promise round trip is needed (asyncio's lock has the same fast
  // path). Under the lock, or with an await inside, it goes through the mutex.
  const incrementNow = (): number | undefined => {
    if (ioDelayMs > 0 || mutex.isLocked()) return undefined;
    count += 1;
    return count;
  };

  return {
    name: 'local',
    incrementNow,
    increment() {
      const now = incrementNow();
      return now === undefined ? mutex.runExclusive(readModifyWrite) : Promise.resolve(now);
    },
    peek: () => count,
    reset: () => {
      count = 0;
    },
  };
};

export const localStrategy: CounterStrategy = {
  name: 'local',
  scope: 'worker',
  exact: true,
  survives: { crash: false, restart: false },
  summary: 'a variable in each worker, read-modify-write under an async mutex',
  createCounter: () => createLocalCounter(),
};
