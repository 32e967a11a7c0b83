// The reference's plain dict cache: a Map in this worker's memory. It never evicts, so it grows with
// every new id, and each worker fills its own: N workers pay N database calls for the same user.
import type { UserCache } from './cache.js';
import type { User } from './database.js';

export const createMapCache = (): UserCache => {
  const map = new Map<number, User>();
  return {
    name: 'map',
    path: '/user',
    hitSource: 'cache',
    get: (id) => map.get(id),
    set: (id, user) => {
      map.set(id, user);
    },
    describe: () => ({ size: map.size }),
  };
};
