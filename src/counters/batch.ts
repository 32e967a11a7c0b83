/**
 * Apply the increments that `take()` hands over, at once; resolves to the value after them. A commit
 * calls `take` exactly once, as late as it can still change what it writes (inside the file lock,
 * say): increments that arrived while it waited for its turn then go in this commit, not the next.
 */
export type Commit = (take: () => number) => Promise<number>;

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
      const round: { batch: Waiter[] | null } = { batch: null };
      const take = (): number => {
        if (round.batch !== null) throw new Error('A commit took its batch twice.');
        round.batch = waiting;
        waiting = [];
        return round.batch.length;
      };
      try {
        const last = await commit(take);
        if (round.batch === null) {
          take();
          throw new Error('A commit returned without taking its batch.');
        }
        const { batch } = round;
        batch.forEach((waiter, index) => {
          waiter.resolve(last - batch.length + 1 + index);
        });
      } catch (error) {
        // A commit that failed before it took its batch (no lock) fails the calls it would have taken.
        if (round.batch === null) take();
        for (const waiter of round.batch ?? []) waiter.reject(error);
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
