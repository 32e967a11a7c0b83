// The reference's "database": a lookup that takes --db-delay-ms (1 s by default) and that we count,
// so that a cache's worth shows up as database calls saved.
import { sleep } from '../sleep.js';

export interface User {
  user_id: number;
  name: string;
}

export interface Database {
  fetchUser(id: number): Promise<User>;
  /**
   * The same lookup with a synchronous wait, as the reference's `time.sleep` inside an async handler:
   * nothing else runs in this process until it returns.
   */
  fetchUserBlocking(id: number): User;
  /** Calls made by this process since it started or since the last resetCalls(). */
  readonly calls: number;
  /** Count from 0 again (POST /admin/reset). */
  resetCalls(): void;
}

/** A synchronous sleep: Atomics.wait on a value nobody ever changes parks the thread for `ms`. */
const blockFor = (ms: number): void => {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

export const createDatabase = ({ delayMs }: { delayMs: number }): Database => {
  let calls = 0;
  return {
    fetchUserBlocking(id) {
      calls += 1;
      blockFor(delayMs);
      return { user_id: id, name: `User_${id}` };
    },
    async fetchUser(id) {
      calls += 1;
      await sleep(delayMs);
      return { user_id: id, name: `User_${id}` };
    },
    get calls() {
      return calls;
    },
    resetCalls() {
      calls = 0;
    },
  };
};
