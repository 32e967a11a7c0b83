// Cache stampedes over real worker processes: 40 concurrent requests for one new id on 4 workers,
// counted in database calls from /cluster, with each guard; the fleet guard again with the worker
// that holds the lease killed (SIGKILL) in the middle of its load; and a hot key expiring under load
// with and without early refresh.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad, type Sample } from '../../tools/hammer/load.js';
import { getJson, isAlive, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';
import { useFlushedRedis } from '../helpers/redis.js';

const redis = useFlushedRedis();
afterEach(stopAllClusters);

const REQUESTS = 40;
/** Long enough that all 40 requests are in before the first load ends, even on a busy machine. */
const DB_DELAY_MS = 2000;

const clusterStats = async (url: string) => (await getJson<ClusterStats>(`${url}/cluster`)).body;
const statusesOf = (samples: readonly Sample[]) => samples.map((sample) => sample.status ?? sample.error);

const stampede = (url: string, id: number, guard: string) =>
  runLoad({
    urls: [`${url}/user/redis/${id}?guard=${guard}`],
    requests: REQUESTS,
    concurrency: REQUESTS,
    timeoutMs: 30_000,
  });

describe('40 concurrent requests for one new id over 4 workers', () => {
  it('cost ≥ 20 database calls with guard=none, ≤ 4 with guard=worker, exactly 1 with guard=fleet', async () => {
    const cluster = await startCluster(['--workers', '4', '--db-delay-ms', String(DB_DELAY_MS)]);
    const calls: Record<string, number> = {};
    for (const [id, guard] of [
      [1, 'none'],
      [2, 'worker'],
      [3, 'fleet'],
    ] as const) {
      const before = (await clusterStats(cluster.url)).totals.db_calls;
      const { samples } = await stampede(cluster.url, id, guard);
      expect(statusesOf(samples)).toEqual(Array(REQUESTS).fill(200));
      expect(new Set(samples.map((sample) => sample.workerId)).size).toBe(4);
      calls[guard] = (await clusterStats(cluster.url)).totals.db_calls - before;
    }
    expect(calls.none).toBeGreaterThanOrEqual(20);
    expect(calls.worker).toBeLessThanOrEqual(4);
    expect(calls.fleet).toBe(1);
    // Each worker's stats tell how its requests got their answer.
    const redisStats = (await clusterStats(cluster.url)).workers.map((worker) => worker.caches.redis);
    const sum = (field: string) => redisStats.reduce((total, stats) => total + Number(stats?.[field] ?? 0), 0);
    expect(sum('guard_joined')).toBeGreaterThan(0);
    expect(sum('guard_waited')).toBeGreaterThan(0);
  });

  it('with guard=fleet, the lease holder SIGKILLed mid-load: at most 2 calls, and every request answers', async () => {
    const cluster = await startCluster(['--workers', '4', '--db-delay-ms', String(DB_DELAY_MS)]);
    const id = 4;
    const load = stampede(cluster.url, id, 'fleet');
    // The lease names its holder: `<instance>:<pid>:<uuid>`. While it exists and the value does not,
    // that worker is inside its database call.
    const holder = await waitFor(
      async () => {
        const token = await redis().get(`lock:user:${id}`);
        return token === null ? undefined : Number(token.split(':')[1]);
      },
      20_000,
      'a worker to take the lease',
    );
    expect(cluster.workerPids).toContain(holder);
    expect(await redis().exists(`user:${id}`)).toBe(0);
    process.kill(holder, 'SIGKILL');
    const { samples } = await load;

    // What the killed worker was serving died with it (a connection reset: no process is left to
    // answer); a client retries those once, as it would any idempotent GET. Everything else answered.
    const failed = samples.filter((sample) => sample.status !== 200);
    expect(failed.every((sample) => sample.status === null)).toBe(true);
    // The holder's own request was among them; the other workers answered theirs.
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeLessThan(REQUESTS);
    const retried = await runLoad({
      urls: [`${cluster.url}/user/redis/${id}?guard=fleet`],
      requests: Math.max(failed.length, 1),
      concurrency: Math.max(failed.length, 1),
      timeoutMs: 30_000,
    });
    expect(statusesOf(retried.samples)).toEqual(Array(Math.max(failed.length, 1)).fill(200));

    // The killed worker made (at most) one call, and its stats died with it; the live ones made one:
    // the takeover after its lease ran out.
    const stats = await waitFor(
      async () => {
        const now = await clusterStats(cluster.url);
        return now.workers.length === 4 && now.restarts === 1 ? now : undefined;
      },
      20_000,
      'the killed worker to be replaced',
    );
    expect(isAlive(holder)).toBe(false);
    const times = samples.filter((sample) => sample.status === 200).map((sample) => sample.ms);
    console.info(
      `fleet guard, lease holder killed: ${failed.length} of ${REQUESTS} reset with it (retried: all 200); the others answered in ${Math.round(Math.min(...times))}-${Math.round(Math.max(...times))} ms; database calls: 1 (killed) + ${stats.totals.db_calls}`,
    );
    expect(stats.totals.db_calls).toBe(1);
    expect(1 + stats.totals.db_calls).toBeLessThanOrEqual(2);
    expect(JSON.parse((await redis().get(`user:${id}`)) ?? '')).toEqual({ user_id: id, name: `User_${id}` });
    expect(await redis().exists(`lock:user:${id}`)).toBe(0);
  });
});

describe('a hot key expiring under load (--redis-ttl-s 1)', () => {
  const EXPIRY_LOAD_MS = 3500;
  const hotKeyRun = async (extra: string[]) => {
    const cluster = await startCluster(['--workers', '4', '--db-delay-ms', '200', '--redis-ttl-s', '1', ...extra]);
    // Warm it: one load, then only the expiries can cost database calls.
    expect((await getJson(`${cluster.url}/user/redis/7`)).status).toBe(200);
    const before = (await clusterStats(cluster.url)).totals.db_calls;
    const { samples } = await runLoad({
      urls: [`${cluster.url}/user/redis/7`],
      requests: 1_000_000,
      durationMs: EXPIRY_LOAD_MS,
      concurrency: 16,
      keepAlive: true,
    });
    const after = await clusterStats(cluster.url);
    const refreshes = after.workers.reduce((sum, worker) => sum + Number(worker.caches.redis?.early_refreshes ?? 0), 0);
    return {
      samples,
      calls: after.totals.db_calls - before,
      refreshes,
      fromDatabase: samples.filter((sample) => sample.source === 'database').length,
    };
  };

  it('costs a database call per waiting request at each expiry without early refresh', async () => {
    const plain = await hotKeyRun([]);
    expect(plain.samples.every((sample) => sample.status === 200)).toBe(true);
    // At least three expiries in 3.5 s, each met by up to 16 requests in flight.
    expect(plain.calls).toBeGreaterThanOrEqual(10);
    expect(plain.fromDatabase).toBe(plain.calls);
    expect(plain.refreshes).toBe(0);
  });

  it('costs one call per expiry with --redis-early-refresh-ms, and no request waits for it', async () => {
    const early = await hotKeyRun(['--redis-early-refresh-ms', '500']);
    expect(early.samples.every((sample) => sample.status === 200)).toBe(true);
    // Every answer came from the cache; every database call was one background refresh.
    expect(early.fromDatabase).toBe(0);
    expect(early.calls).toBe(early.refreshes);
    // The key would have expired at least three times; it was refreshed about as often, never more
    // than once per 0.5 s (the part of its life before the window).
    expect(early.refreshes).toBeGreaterThanOrEqual(3);
    expect(early.refreshes).toBeLessThanOrEqual(Math.ceil(EXPIRY_LOAD_MS / 500) + 1);
  });
});
