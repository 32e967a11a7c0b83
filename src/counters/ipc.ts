// The count lives in the primary process; workers ask it over cluster IPC. Exact across the workers
// of one cluster and it survives a worker crash, but it dies with the primary, and a second cluster
// (another machine) has its own. Asks made while one is in flight travel together as one message.
// Both halves live here: the worker's ask and the primary's answer.
import { batchIncrements } from './batch.js';
import { type Counter, type CounterStrategy, lastSeen } from './strategy.js';

/** How long a worker waits for the primary to add to the count (then a 503). */
export const IPC_COUNTER_TIMEOUT_MS = 2000;

declare module '../ipc/protocol.js' {
  interface WorkerRequests {
    /** Add `by` to the primary's count; the reply is the value after the addition. */
    'ipc-increment': { request: { by: number }; reply: number };
  }
}

/** Ask the primary to add `by`; resolves to the value after the addition. */
export type AskPrimary = (by: number) => Promise<number>;

export const createIpcCounter = (askPrimary: AskPrimary): Counter => {
  const seen = lastSeen();
  return {
    name: 'ipc',
    increment: batchIncrements(async (take) => seen.record(await askPrimary(take()))),
    peek: seen.peek,
    reset: seen.reset,
  };
};

export const ipcStrategy: CounterStrategy = {
  name: 'ipc',
  scope: 'host',
  exact: true,
  survives: { crash: true, restart: false },
  summary: "the primary's memory; workers ask it over cluster IPC",
  createCounter: ({ channel }) =>
    createIpcCounter((by) =>
      channel.request('ipc-increment', { by }, { timeoutMs: IPC_COUNTER_TIMEOUT_MS, what: 'the IPC counter' }),
    ),
  createStorage: ({ handle }) => {
    let count = 0;
    handle('ipc-increment', ({ by }) => {
      count += by;
      return count;
    });
    return {
      read: async () => count,
      reset: async () => {
        count = 0;
      },
    };
  },
};
