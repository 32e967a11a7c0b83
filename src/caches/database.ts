// The reference's "database": a lookup that takes --db-delay-ms (1 s by default) and that we count,
// so that a cache's worth shows up as database calls saved.
import { sleep } from '../sleep.js';

export interface User {
  user_id: number;
  name: string;
}

export interface Database {
  fetchUser(id: number): Promise<User>;
  /** Calls made by this process so far. */
  readonly calls: number;
}

export const createDatabase = ({ delayMs }: { delayMs: number }): Database => {
  let calls = 0;
  return {
    async fetchUser(id) {
      calls += 1;
      await sleep(delayMs);
      return { user_id: id, name: `User_${id}` };
    },
    get calls() {
      return calls;
    },
  };
};
