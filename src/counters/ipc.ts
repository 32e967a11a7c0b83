// The count lives in the primary process; workers ask it over cluster IPC. Exact across the workers
// of one cluster and it survives a worker crash, but it dies with the primary, and a second cluster
// (another machine) has its own. Asks made while one is in flight travel together as one message.
import type { Counter } from './counter.js';

/** Ask the primary to add `by`; resolves to the value after the addition. */
export type AskPrimary = (by: number) => Promise<number>;

type Waiter = { resolve: (value: number) => void; reject: (error: unknown) => void };

export const createIpcCounter = (askPrimary: AskPrimary): Counter => {
  let waiting: Waiter[] = [];
  let inFlight = false;
  let lastSeen: number | null = null;

  // One round trip at a time: increments that arrive meanwhile are batched into the next message
  // and given consecutive values, so each request still gets its own number.
  const flush = async (): Promise<void> => {
    inFlight = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const last = await askPrimary(batch.length);
        lastSeen = last;
        batch.forEach((waiter, index) => {
          waiter.resolve(last - batch.length + 1 + index);
        });
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    inFlight = false;
  };

  return {
    name: 'ipc',
    increment() {
      return new Promise<number>((resolve, reject) => {
        waiting.push({ resolve, reject });
        // flush() settles every waiter itself and never rejects.
        if (!inFlight) void flush();
      });
    },
    peek: () => lastSeen,
  };
};
