// The classroom's truth with real processes: one meaning of "lost" for the hammer and /cluster, a
// worker killed mid-run named by both with what died with it, a reset that leaves nothing behind,
// and the instructor's controls (kill, keep-alive, the private Redis) doing what they say.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import type { HammerReport } from '../../tools/hammer/report.js';
import { type ClusterProcess, getJson, isAlive, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';
import { useFlushedRedis } from '../helpers/redis.js';

const HAMMER = fileURLToPath(new URL('../../dist/tools/hammer.js', import.meta.url));
const TOKEN = 'classroom-suite-token-abcdefghij';
const auth = { authorization: `Bearer ${TOKEN}` };
const WAIT_MS = 20_000;

useFlushedRedis();
afterEach(stopAllClusters);

const cluster = async (lab: ClusterProcess): Promise<ClusterStats> =>
  (await getJson<ClusterStats>(`${lab.url}/cluster`, { timeoutMs: 5000 })).body;

const post = (lab: ClusterProcess, path: string, headers: Record<string, string> = auth) =>
  getJson<Record<string, unknown>>(`${lab.url}${path}`, { method: 'POST', headers });

const hammerJson = async (args: string[]): Promise<HammerReport> => {
  const result = await execa('node', [HAMMER, ...args, '--json'], { reject: false, timeout: 60_000 });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as HammerReport;
};

describe('one meaning of lost', () => {
  it('gives the same expected, true total and lost in the hammer and /cluster for 400 /counter/unsafe', async () => {
    const lab = await startCluster(['--workers', '4']);
    const report = await hammerJson([`${lab.url}/counter/unsafe`, '-n', '400', '-c', '20']);
    const verdict = (await cluster(lab)).verdicts.unsafe;

    expect(report).toMatchObject({ ok: 400, basis: 'cluster', expected: 400 });
    expect(report.lost).toBeGreaterThan(0);
    expect(verdict).toMatchObject({
      kind: 'lost',
      expected: report.expected,
      true_total: report.true_total,
      lost: report.lost,
      largest_seen: report.largest_seen,
    });
    expect(report.counter_verdict?.sentences).toEqual(verdict?.sentences);
  });

  it('names a worker killed mid-run, with what died with it, in both', async () => {
    const lab = await startCluster(['--workers', '4']);
    const run = execa('node', [HAMMER, `${lab.url}/counter/unsafe`, '-n', '2000', '-c', '8', '--json'], {
      reject: false,
      timeout: 90_000,
    });
    // Mid-run: once the primary's /cluster (which is also each worker's latest report) shows a third.
    const victim = await waitFor(
      async () => {
        const stats = await cluster(lab);
        if ((stats.totals.increments.unsafe ?? 0) < 600) return undefined;
        return [...stats.workers].sort((a, b) => (b.counters.unsafe ?? 0) - (a.counters.unsafe ?? 0))[0];
      },
      WAIT_MS,
      'a third of the run',
    );
    process.kill(victim.pid, 'SIGKILL');
    const result = await run;
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as HammerReport;
    const verdict = (await cluster(lab)).verdicts.unsafe;

    const fromHammer = report.counter_verdict?.died.find((dead) => dead.pid === victim.pid);
    const fromCluster = verdict?.died.find((dead) => dead.pid === victim.pid);
    expect(fromHammer).toMatchObject({ id: victim.id, pid: victim.pid });
    expect(fromHammer?.took).toBeGreaterThan(0);
    expect(fromCluster).toEqual(fromHammer);
    expect(report.counter_verdict?.sentences.join(' ')).toContain(
      `worker ${victim.id} (pid ${victim.pid}) took ${fromHammer?.took}`,
    );
    expect(verdict?.true_total).toBe(report.true_total);
    // The client counts every answer it got; the primary knows the dead worker's up to its last report.
    expect(verdict?.expected).toBeLessThanOrEqual(report.expected ?? 0);
  });
});

describe('POST /admin/reset', () => {
  it('leaves every counter, cache, hit, miss, database call and request count at 0, and no ghost', async () => {
    const lab = await startCluster(['--workers', '2', '--admin-token', TOKEN, '--db-delay-ms', '0']);
    const strategies = Object.keys((await cluster(lab)).strategies);
    for (const strategy of strategies) {
      await runLoad({ urls: [`${lab.url}/counter/${strategy}`], requests: 20, concurrency: 4 });
    }
    for (const path of ['/user', '/user/lru', '/user/ttl', '/user/redis']) {
      await runLoad({ urls: [`${lab.url}${path}/1`, `${lab.url}${path}/2`], requests: 12, concurrency: 2 });
    }
    const [first] = (await cluster(lab)).workers;
    process.kill(first?.pid ?? 0, 'SIGKILL');
    const loaded = await waitFor(
      async () => {
        const stats = await cluster(lab);
        return stats.workers.length === 2 && stats.ghosts.length === 1 ? stats : undefined;
      },
      WAIT_MS,
      'the ghost and the replacement',
    );
    expect(loaded.totals.db_calls).toBeGreaterThan(0);

    const { status, body } = await post(lab, '/admin/reset?shared=1');
    expect(status).toBe(200);
    expect(body.reset).toMatchObject({ workers: 2, shared: true, errors: [] });
    expect((body.reset as { redis_cache_keys: number }).redis_cache_keys).toBeGreaterThan(0);

    const after = await cluster(lab);
    expect(after.ghosts).toEqual([]);
    expect(after.feed).toEqual([]);
    for (const worker of after.workers) {
      expect(worker.requests).toBe(0);
      expect(worker.db_calls).toBe(0);
      for (const strategy of strategies) expect(worker.increments[strategy]).toBe(0);
      expect(worker.counters.local).toBe(0);
      expect(worker.counters.unsafe).toBe(0);
      for (const [name, cache] of Object.entries(worker.caches)) {
        expect({ name, hits: cache.hits, misses: cache.misses, bypassed: cache.bypassed }).toEqual({
          name,
          hits: 0,
          misses: 0,
          bypassed: 0,
        });
        if (cache.size !== null) expect(cache.size).toBe(0);
      }
    }
    for (const value of Object.values(after.shared_counters)) expect(value).toBe(0);
    for (const verdict of Object.values(after.verdicts)) expect(verdict.kind).toBe('idle');
    // The Redis cache was emptied too: the next lookup is a database call.
    expect((await getJson<{ source: string }>(`${lab.url}/user/redis/1`)).body.source).toBe('database');
  });
});

describe("the instructor's controls", () => {
  it('kills a chosen worker with SIGKILL: a ghost with its reason, a replacement, no crash loop', async () => {
    const lab = await startCluster(['--workers', '2', '--admin-token', TOKEN]);
    await runLoad({ urls: [`${lab.url}/counter/local`], requests: 40, concurrency: 4 });
    const [victim] = (await cluster(lab)).workers;
    if (victim === undefined) throw new Error('no worker');
    const { status, body } = await post(lab, `/admin/kill?worker=${victim.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ killed: { id: victim.id, pid: victim.pid }, signal: 'SIGKILL' });
    await lab.waitForLog(new RegExp(`worker ${victim.id} \\(pid ${victim.pid}\\) was killed by SIGKILL as planned`));
    const after = await waitFor(
      async () => {
        const stats = await cluster(lab);
        return stats.workers.length === 2 && stats.ghosts.length === 1 ? stats : undefined;
      },
      WAIT_MS,
      'the ghost and the replacement',
    );
    expect(isAlive(victim.pid)).toBe(false);
    expect(after.ghosts[0]).toMatchObject({
      id: victim.id,
      pid: victim.pid,
      exit: 'killed by SIGKILL',
      reason: 'POST /admin/kill',
      held: { local: victim.counters.local },
    });
    expect(after.verdicts.local?.died).toEqual([
      { instance: victim.instance, id: victim.id, pid: victim.pid, took: victim.counters.local },
    ]);
    expect((await post(lab, '/admin/kill?worker=999')).status).toBe(404);
    expect((await post(lab, '/admin/kill?worker=abc')).status).toBe(400);
    expect(lab.stderr()).not.toContain('crash loop');
  });

  it('switches keep-alive at run time: off closes each connection after its answer, on keeps it', async () => {
    const lab = await startCluster(['--workers', '2', '--admin-token', TOKEN]);
    const connectionHeader = async () =>
      (await getJson(`${lab.url}/stats`, { headers: { connection: 'keep-alive' } })).headers.connection;
    expect(await connectionHeader()).toBe('keep-alive');
    expect((await post(lab, '/admin/keep-alive?on=0')).body).toMatchObject({ keep_alive: false, workers: 2 });
    expect(await connectionHeader()).toBe('close');
    expect((await cluster(lab)).keep_alive).toBe(false);
    // A worker forked now boots with keep-alive off too.
    await post(lab, '/admin/reload');
    await waitFor(
      async () => {
        const stats = await cluster(lab);
        return stats.workers.length === 2 && stats.workers.every((w) => !lab.workerPids.includes(w.pid))
          ? true
          : undefined;
      },
      WAIT_MS,
      'the reload',
    );
    const spread = await runLoad({ urls: [`${lab.url}/counter/local`], requests: 20, concurrency: 1, keepAlive: true });
    expect(new Set(spread.samples.map((sample) => sample.workerPid)).size).toBe(2);
    expect((await post(lab, '/admin/keep-alive?on=1')).body).toMatchObject({ keep_alive: true });
    const pinned = await runLoad({ urls: [`${lab.url}/counter/local`], requests: 20, concurrency: 1, keepAlive: true });
    expect(new Set(pinned.samples.map((sample) => sample.workerPid)).size).toBe(1);
    expect((await post(lab, '/admin/keep-alive?on=maybe')).status).toBe(400);
  });

  it('stops and starts the private redis-server, and refuses a Redis given with --redis-url', async () => {
    const lab = await startCluster(['--workers', '2', '--admin-token', TOKEN], { autoRedis: true });
    const before = (await cluster(lab)).redis;
    expect(before).toMatchObject({ origin: 'private', up: true, stopped: false });
    const stop = await post(lab, '/admin/redis/stop');
    expect(stop.body.redis).toMatchObject({ stopped: true, up: false });
    await waitFor(() => (isAlive(before.pid ?? 0) ? undefined : true), WAIT_MS, 'the redis-server to exit');
    expect((await getJson(`${lab.url}/counter/redis`)).status).toBe(503);
    await lab.waitForLog(/stopped the private redis-server \(pid \d+\) on purpose/);

    const start = await post(lab, '/admin/redis/start');
    expect(start.body.redis).toMatchObject({ stopped: false, up: true });
    await waitFor(
      async () => ((await getJson(`${lab.url}/counter/redis`)).status === 200 ? true : undefined),
      WAIT_MS,
      'the Redis routes to answer again',
    );
    // It was stopped on purpose: not counted as a death, not restarted behind the instructor's back.
    expect(lab.stderr()).not.toMatch(/"event":"redis-died"/);

    const theirs = await startCluster(['--workers', '1', '--admin-token', TOKEN]);
    const refused = await post(theirs, '/admin/redis/stop');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('--redis-url');
  });
});
