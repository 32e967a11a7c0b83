// The reference's LRUCache(maxsize=10), here from lru-cache: bounded, so the 11th distinct id evicts
// the least recently used one. Still per worker: bounded memory, not shared memory.
import { LRUCache } from 'lru-cache';
import type { UserCache } from './cache.js';
import type { User } from './database.js';

export const createLruCache = ({ max }: { max: number }): UserCache => {
  const lru = new LRUCache<number, User>({ max });
  return {
    name: 'lru',
    path: '/user/lru',
    hitSource: 'lru_cache',
    get: (id) => lru.get(id),
    set: (id, user) => {
      lru.set(id, user);
    },
    describe: () => ({ size: lru.size, max }),
  };
};
