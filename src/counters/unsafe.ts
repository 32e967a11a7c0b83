// The local counter's twin without the lock: read, await some simulated I/O, write. Every request
// that reads during another's await writes back a stale value, so increments are lost even inside a
// single worker. This is the bug a lock exists for: it only matters where an await splits read and write.
import { sleep } from '../sleep.js';
import type { Counter, CounterStrategy } from './strategy.js';

export interface UnsafeCounterOptions {
  /** The await between read and write. @default 5 */
  ioDelayMs: number;
}

export const createUnsafeCounter = ({ ioDelayMs }: UnsafeCounterOptions): Counter => {
  let count = 0;
  return {
    name: 'unsafe',
    async increment() {
      const read = count;
      await sleep(ioDelayMs);
      count = read + 1;
      return read + 1;
    },
    peek: () => count,
    reset: () => {
      count = 0;
    },
  };
};

export const unsafeStrategy: CounterStrategy = {
  name: 'unsafe',
  scope: 'worker',
  exact: false,
  survives: { crash: false, restart: false },
  summary: 'the same variable read, awaited (--io-delay-ms), written, with no lock',
  createCounter: ({ config }) => createUnsafeCounter({ ioDelayMs: config.ioDelayMs }),
};
