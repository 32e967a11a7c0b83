// The count lives in the primary process; workers ask it over cluster IPC. Exact across the workers
// of one cluster and it survives a worker crash, but it dies with the primary, and a second cluster
// (another machine) has its own. Asks made while one is in flight travel together as one message.
import { batchIncrements } from './batch.js';
import type { Counter } from './counter.js';

/** Ask the primary to add `by`; resolves to the value after the addition. */
export type AskPrimary = (by: number) => Promise<number>;

export const createIpcCounter = (askPrimary: AskPrimary): Counter => {
  let lastSeen: number | null = null;
  const increment = batchIncrements(async (by) => {
    lastSeen = await askPrimary(by);
    return lastSeen;
  });
  return {
    name: 'ipc',
    increment,
    peek: () => lastSeen,
    reset: () => {
      lastSeen = null;
    },
  };
};
