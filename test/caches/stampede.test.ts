// The stampede guards and early refresh against a real redis-server, with several "workers" (each
// its own connection, database counter and guard) in this process: how many database calls
// concurrent misses cost, what a lease holder that never comes back does to the others, and how a
// hot key is refreshed before it expires. The same over real worker processes: test/cluster/stampede.test.ts.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../src/caches/database.js';
import { userKey } from '../../src/caches/redis.js';
import { createGuardedRedisCache, type GuardedRedisCache } from '../../src/caches/redis-guarded.js';
import { lockKey } from '../../src/caches/redis-lock.js';
import { type Guard, leaseTimingsFor, parseGuard } from '../../src/caches/stampede.js';
import { defaultConfig } from '../../src/config.js';
import { connectRedis, createRedisClient } from '../../src/redis/client.js';
import { waitFor } from '../helpers/cluster.js';
import { testRedis } from '../helpers/redis.js';

let admin: Redis;
const clients: Redis[] = [];
beforeAll(() => {
  admin = testRedis();
});
afterAll(() => {
  for (const client of clients) client.disconnect();
  admin.disconnect();
});

let prefixSeq = 0;
const freshPrefix = () => `unit-stampede-${process.pid}-${++prefixSeq}:`;

interface FakeWorker {
  db: Database;
  cache: GuardedRedisCache;
}

/** `count` workers sharing one Redis (and one prefix), each with its own connection and database. */
const workers = async (
  count: number,
  prefix: string,
  { dbDelayMs = 100, redisTtlS = 600, redisEarlyRefreshMs = 0 } = {},
): Promise<FakeWorker[]> =>
  Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const client = createRedisClient(inject('redisUrl'), { name: 'unit-stampede' });
      client.on('error', () => {});
      clients.push(client);
      expect(await connectRedis(client)).toBe(true);
      const db = createDatabase({ delayMs: dbDelayMs });
      const config = { ...defaultConfig(), redisPrefix: prefix, dbDelayMs, redisTtlS, redisEarlyRefreshMs };
      const identity = { instance: 'unit', id: index + 1, pid: 1000 + index };
      return { db, cache: createGuardedRedisCache({ config, client, identity, db, cipher: null }) };
    }),
  );

const dbCalls = (all: readonly FakeWorker[]) => all.reduce((sum, worker) => sum + worker.db.calls, 0);

/** 40 concurrent lookups of one cold id, spread over the workers in turn. */
const stampede = (all: readonly FakeWorker[], id: number, guard: Exclude<Guard, 'none'>) =>
  Promise.all(
    Array.from({ length: 40 }, (_, index) => (all[index % all.length] as FakeWorker).cache.guard.lookup(id, guard)),
  );

describe('?guard=', () => {
  it('reads absent as none and refuses anything but none, worker, fleet, naming `guard`', () => {
    expect(parseGuard(undefined)).toBe('none');
    expect(parseGuard('fleet')).toBe('fleet');
    expect(() => parseGuard('FLEET')).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }));
    expect(() => parseGuard('x')).toThrow(/`guard`/);
  });
});

describe('the stampede guards', () => {
  it('worker: concurrent misses in one worker share one load, so 4 workers make 4 calls', async () => {
    const all = await workers(4, freshPrefix());
    const answers = await stampede(all, 7, 'worker');
    expect(dbCalls(all)).toBe(4);
    for (const worker of all) expect(worker.db.calls).toBe(1);
    expect(answers.filter(({ role }) => role === 'loaded')).toHaveLength(4);
    expect(answers.filter(({ role }) => role === 'joined')).toHaveLength(36);
    expect(answers.every(({ lookup }) => lookup.data.name === 'User_7')).toBe(true);
  });

  it('fleet: one call for every worker together; the others wait and read it from Redis', async () => {
    const prefix = freshPrefix();
    const all = await workers(4, prefix);
    const answers = await stampede(all, 8, 'fleet');
    expect(dbCalls(all)).toBe(1);
    const roles = answers.map(({ role }) => role);
    expect(roles.filter((role) => role === 'loaded')).toHaveLength(1);
    // Inside each worker, one request deals with Redis; the rest of that worker joins it.
    expect(roles.filter((role) => role === 'joined')).toHaveLength(36);
    expect(roles.filter((role) => role === 'waited')).toHaveLength(3);
    expect(answers.every(({ lookup }) => lookup.data.name === 'User_8')).toBe(true);
    // The lease is released once the value is written.
    expect(await admin.exists(lockKey(prefix, 8))).toBe(0);
    expect(await admin.exists(userKey(prefix, 8))).toBe(1);
  });

  it('fleet: a holder that never releases (killed) holds nobody past its lease; one waiter takes over', async () => {
    const prefix = freshPrefix();
    const all = await workers(3, prefix, { dbDelayMs: 50 });
    const { leaseMs } = leaseTimingsFor(50);
    // A dead holder's lease: nobody will release it, it only expires.
    await admin.set(lockKey(prefix, 9), 'dead-worker', 'PX', leaseMs, 'NX');
    const started = performance.now();
    const answers = await stampede(all, 9, 'fleet');
    const elapsed = performance.now() - started;
    expect(dbCalls(all)).toBe(1);
    expect(answers.filter(({ role }) => role === 'loaded')).toHaveLength(1);
    expect(answers.some(({ role }) => role === 'fallback')).toBe(false);
    // They waited for the lease to end (not for their own bound), then for one load.
    expect(elapsed).toBeGreaterThanOrEqual(leaseMs * 0.9);
  });

  it('fleet: a wait past its bound asks the database itself instead of hanging', async () => {
    const prefix = freshPrefix();
    const all = await workers(2, prefix, { dbDelayMs: 0 });
    const { maxWaitMs } = leaseTimingsFor(0);
    // A holder that is alive but stuck keeps its lease far longer than anyone waits.
    await admin.set(lockKey(prefix, 10), 'stuck-worker', 'PX', 60_000);
    const started = performance.now();
    const answers = await stampede(all, 10, 'fleet');
    expect(performance.now() - started).toBeGreaterThanOrEqual(maxWaitMs * 0.9);
    const fallbacks = answers.filter(({ role }) => role === 'fallback').length;
    // The first to give up loads and fills the cache; a waiter still polling then finds that value.
    expect(fallbacks).toBeGreaterThanOrEqual(1);
    expect(dbCalls(all)).toBe(fallbacks);
    expect(all.reduce((sum, worker) => sum + (worker.cache.stats().guard_fallbacks ?? 0), 0)).toBe(fallbacks);
    expect(answers.every(({ lookup }) => lookup.data.name === 'User_10')).toBe(true);
    await admin.del(lockKey(prefix, 10));
  });

  it('answers a hit as a hit, with no lease taken', async () => {
    const prefix = freshPrefix();
    const [worker] = await workers(1, prefix);
    await admin.set(userKey(prefix, 11), JSON.stringify({ user_id: 11, name: 'User_11' }));
    const { lookup, role } = await (worker as FakeWorker).cache.guard.lookup(11, 'fleet');
    expect(role).toBe('hit');
    expect(lookup.source).toBe('redis_cache');
    expect(worker?.db.calls).toBe(0);
  });
});

describe('early refresh', () => {
  it('refreshes a hot key once for all workers before it expires; every reader keeps hitting', async () => {
    const prefix = freshPrefix();
    const all = await workers(3, prefix, { dbDelayMs: 50, redisTtlS: 2, redisEarlyRefreshMs: 1000 });
    const key = userKey(prefix, 12);
    expect((await all[0]?.cache.guard.lookup(12, 'worker'))?.role).toBe('loaded');
    // Into its last second of life: the next hits are due to refresh it.
    await admin.pexpire(key, 600);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => (all[index % 3] as FakeWorker).cache.guard.lookup(12, 'worker')),
    );
    expect(answers.every(({ role }) => role === 'hit')).toBe(true);
    // The refresh runs in the background; when it lands the entry has its whole life again.
    await waitFor(async () => ((await admin.pttl(key)) > 1000 ? true : undefined), 5000, 'the refreshed entry');
    const refreshes = all.reduce((sum, worker) => sum + (worker.cache.stats().early_refreshes ?? 0), 0);
    expect(refreshes).toBe(1);
    expect(dbCalls(all)).toBe(2);
  });

  it('leaves an entry alone while it has more than the window to live', async () => {
    const prefix = freshPrefix();
    const [worker] = await workers(1, prefix, { dbDelayMs: 0, redisTtlS: 600, redisEarlyRefreshMs: 1000 });
    await worker?.cache.guard.lookup(13, 'worker');
    for (let read = 0; read < 10; read += 1) await worker?.cache.guard.lookup(13, 'worker');
    expect(worker?.db.calls).toBe(1);
    expect(worker?.cache.stats().early_refreshes).toBe(0);
  });
});
