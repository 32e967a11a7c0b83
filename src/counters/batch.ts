/** Apply `by` increments at once; resolves to the value after them. */
export type Commit = (by: number) => Promise<number>;

type Waiter = { resolve: (value: number) => void; reject: (error: unknown) => void };

/**
 * Group commit, as databases do it: one commit in flight at a time; increments that arrive meanwhile
 * wait and go together in the next one, and each still gets its own consecutive value. Used where a
 * round trip (IPC, a file lock) costs far more than adding a number.
 */
export const batchIncrements = (commit: Commit): (() => Promise<number>) => {
  let waiting: Waiter[] = [];
  let busy = false;

  const flush = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const last = await commit(batch.length);
        batch.forEach((waiter, index) => {
          waiter.resolve(last - batch.length + 1 + index);
        });
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    busy = false;
  };

  return () =>
    new Promise<number>((resolve, reject) => {
      waiting.push({ resolve, reject });
      if (busy) return;
      busy = true;
      // Wait for the rest of this turn of the event loop: requests that arrived together (one read
      // from the network often holds several) then go in the first commit too, not one by one.
      // flush() settles every waiter itself and never rejects.
      setImmediate(() => void flush());
    });
};
