import { describe, expect, it } from 'vitest';
import { readThrough, type UserCache } from '../../src/caches/cache.js';
import { createDatabase } from '../../src/caches/database.js';
import { createLruCache } from '../../src/caches/lru.js';
import { createMapCache } from '../../src/caches/map.js';
import { createTtlCache } from '../../src/caches/ttl.js';

const setup = (cache: UserCache) => {
  const db = createDatabase({ delayMs: 0 });
  const counts = { hits: 0, misses: 0, bypassed: 0 };
  return { db, counts, lookup: (id: number) => readThrough(cache, counts, db, id) };
};

describe.each([
  { cache: createMapCache({ limit: 100_000 }), hit: 'cache' },
  { cache: createLruCache({ max: 10 }), hit: 'lru_cache' },
  { cache: createTtlCache({ max: 10, ttlMs: 10_000 }), hit: 'ttl_cache' },
])('$cache.name cache', ({ cache, hit }) => {
  it(`answers a miss from the database and a repeat as ${hit}`, async () => {
    const { db, counts, lookup } = setup(cache);
    expect(await lookup(7)).toEqual({ source: 'database', data: { user_id: 7, name: 'User_7' }, bypassed: false });
    expect(await lookup(7)).toEqual({ source: hit, data: { user_id: 7, name: 'User_7' }, bypassed: false });
    expect(db.calls).toBe(1);
    expect(counts).toEqual({ hits: 1, misses: 1, bypassed: 0 });
  });
});

describe('lru cache', () => {
  it('evicts the least recently used key when the 11th arrives', async () => {
    const { db, lookup } = setup(createLruCache({ max: 10 }));
    for (let id = 1; id <= 10; id += 1) await lookup(id);
    await lookup(1); // 1 is now the most recently used; 2 is the oldest
    await lookup(11);
    expect((await lookup(2)).source).toBe('database');
    expect((await lookup(1)).source).toBe('lru_cache');
    expect(db.calls).toBe(12);
  });
});

describe('ttl cache', () => {
  it('expires an entry after its ttl', async () => {
    // A clock of our own: the entry's age is what the test says, however slow the machine is.
    let now = 1000;
    const cache = createTtlCache({ max: 10, ttlMs: 40, clock: { now: () => now } });
    const { lookup } = setup(cache);
    await lookup(1);
    now += 39;
    expect((await lookup(1)).source).toBe('ttl_cache');
    now += 2;
    expect((await lookup(1)).source).toBe('database');
  });

  it('is bounded like the lru cache', async () => {
    const cache = createTtlCache({ max: 10, ttlMs: 10_000 });
    const { lookup } = setup(cache);
    for (let id = 1; id <= 11; id += 1) await lookup(id);
    expect(cache.describe().size).toBe(10);
  });
});

describe('map cache', () => {
  it('never evicts: it grows with every new id', async () => {
    const cache = createMapCache({ limit: 100_000 });
    const { lookup } = setup(cache);
    for (let id = 1; id <= 25; id += 1) await lookup(id);
    expect(cache.describe().size).toBe(25);
  });
});

describe('map cache safety cap', () => {
  it('stops caching new keys at its limit and says it is full', async () => {
    const cache = createMapCache({ limit: 3 });
    const { db, lookup } = setup(cache);
    for (let id = 1; id <= 5; id += 1) await lookup(id);
    expect(cache.describe()).toEqual({ size: 3, limit: 3, full: true });
    expect((await lookup(1)).source).toBe('cache');
    expect((await lookup(5)).source).toBe('database');
    expect(db.calls).toBe(6);
  });
});
