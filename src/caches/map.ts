// The reference's plain dict cache: a Map in this worker's memory. It never evicts, so it grows with
// every new id, and each worker fills its own: N workers pay N database calls for the same user.
// The lesson is "unbounded"; the safety cap (--map-cache-limit) only keeps a room full of students
// from filling the machine's memory: past it, new keys are simply not cached.
import type { UserCache } from './cache.js';
import type { User } from './database.js';

export const createMapCache = ({ limit }: { limit: number }): UserCache => {
  const map = new Map<number, User>();
  return {
    name: 'map',
    path: '/user',
    hitSource: 'cache',
    get: (id) => map.get(id),
    set: (id, user) => {
      if (map.size < limit || map.has(id)) map.set(id, user);
    },
    describe: () => ({ size: map.size, limit, full: map.size >= limit }),
  };
};
