import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad, type Sample } from '../../tools/hammer/load.js';
import {
  getJson,
  isAlive,
  makeTempDir,
  startCluster,
  stopAllClusters,
  stopCluster,
  waitFor,
} from '../helpers/cluster.js';
import { useFlushedRedis } from '../helpers/redis.js';

const redis = useFlushedRedis();
afterEach(stopAllClusters);

const REQUESTS = 2000;
const ok = (samples: readonly Sample[]) => samples.filter((sample) => sample.status === 200);
const maxCount = (samples: readonly Sample[]) => Math.max(...samples.map((sample) => sample.count ?? 0));

describe('shared counters on 4 workers, 2000 requests at concurrency 100 on new connections', () => {
  it.each([
    ['/counter/redis', 'redis'],
    ['/counter/file', 'file'],
  ])('%s ends at exactly 2000', async (path, name) => {
    const cluster = await startCluster(['--workers', '4']);
    const { samples } = await runLoad({ urls: [`${cluster.url}${path}`], requests: REQUESTS, concurrency: 100 });

    expect(ok(samples)).toHaveLength(REQUESTS);
    expect(new Set(samples.map((sample) => sample.count)).size).toBe(REQUESTS);
    expect(maxCount(samples)).toBe(REQUESTS);
    expect(new Set(samples.map((sample) => sample.workerPid)).size).toBeGreaterThanOrEqual(2);
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(body.shared_counters[name]).toBe(REQUESTS);
  });

  it('/counter/redis-unsafe loses updates across workers', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const { samples } = await runLoad({
      urls: [`${cluster.url}/counter/redis-unsafe`],
      requests: REQUESTS,
      concurrency: 100,
    });
    expect(ok(samples)).toHaveLength(REQUESTS);
    const final = Number(await redis().get('counter:unsafe'));
    expect(final).toBeLessThan(REQUESTS);
    expect(final).toBeGreaterThan(0);
  });
});

describe('the Redis cache', () => {
  it('costs one database call across all workers, and sets a 600 s TTL', async () => {
    const cluster = await startCluster(['--workers', '4', '--db-delay-ms', '50']);
    const pids = new Set<number>();
    const sources: string[] = [];
    for (let request = 0; request < 40; request += 1) {
      const { status, body } = await getJson<{ source: string; worker: { pid: number } }>(
        `${cluster.url}/user/redis/1`,
      );
      expect(status).toBe(200);
      sources.push(body.source);
      pids.add(body.worker.pid);
    }
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect(sources[0]).toBe('database');
    expect(sources.slice(1).every((source) => source === 'redis_cache')).toBe(true);
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(body.totals.db_calls).toBe(1);
    const ttl = await redis().ttl('user:1');
    expect(ttl).toBeLessThanOrEqual(600);
    expect(ttl).toBeGreaterThan(590);
    expect(JSON.parse((await redis().get('user:1')) ?? '')).toEqual({ user_id: 1, name: 'User_1' });
  });

  it('serves /user/:id from Redis with --state redis', async () => {
    const cluster = await startCluster(['--workers', '2', '--state', 'redis', '--db-delay-ms', '0']);
    const first = await getJson<{ source: string }>(`${cluster.url}/user/5`);
    const second = await getJson<{ source: string }>(`${cluster.url}/user/5`);
    expect([first.body.source, second.body.source]).toEqual(['database', 'redis_cache']);
    expect((await getJson<{ strategy: string }>(`${cluster.url}/counter`)).body.strategy).toBe('redis');
  });

  it('namespaces every key with --redis-prefix', async () => {
    const cluster = await startCluster(['--workers', '2', '--redis-prefix', 'lab1:', '--db-delay-ms', '0']);
    await getJson(`${cluster.url}/counter/redis`);
    await getJson(`${cluster.url}/user/redis/7`);
    expect((await redis().keys('*')).sort()).toEqual(['lab1:counter', 'lab1:user:7']);
  });
});

describe('two clusters sharing one Redis', () => {
  it('count exactly together on Redis while their local counters each see only part', async () => {
    const [a, b] = await Promise.all([startCluster(['--workers', '2']), startCluster(['--workers', '2'])]);
    if (a === undefined || b === undefined) throw new Error('two clusters expected');
    const urls = (path: string) => [`${a.url}${path}`, `${b.url}${path}`];
    const redisRun = await runLoad({ urls: urls('/counter/redis'), requests: 400, concurrency: 20 });
    const localRun = await runLoad({ urls: urls('/counter/local'), requests: 400, concurrency: 20 });

    expect(ok(redisRun.samples)).toHaveLength(400);
    expect(maxCount(redisRun.samples)).toBe(400);
    expect(new Set(redisRun.samples.map((sample) => sample.instance))).toEqual(new Set([0, 1]));
    expect(ok(localRun.samples)).toHaveLength(400);
    expect(maxCount(localRun.samples)).toBeLessThan(400);
    const totals = await Promise.all([a, b].map((cluster) => getJson<ClusterStats>(`${cluster.url}/cluster`)));
    expect(totals.reduce((sum, { body }) => sum + (body.totals.counters.local ?? 0), 0)).toBe(400);
  });
});

describe('the file counter', () => {
  it('keeps its value across a cluster restart', async () => {
    const dataDir = await makeTempDir();
    const first = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    await runLoad({ urls: [`${first.url}/counter/file`], requests: 30, concurrency: 5 });
    await stopCluster(first);

    const second = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    expect(second.stdout()).toContain('(file counter: 30)');
    expect((await getJson<{ current_count: number }>(`${second.url}/counter/file`)).body.current_count).toBe(31);
  });

  it('takes over a lock left by a killed process', async () => {
    const dataDir = await makeTempDir();
    const path = join(dataDir, 'counter.json');
    await writeFile(path, '{"value": 7}\n');
    // A real process takes the lock the way a worker does, then dies holding it.
    const holder = execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `import lockfile from 'proper-lockfile';
         await lockfile.lock(${JSON.stringify(join(dataDir, 'file-counter'))}, { stale: 2000, realpath: false });
         console.log('locked');
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), reject: false, buffer: false },
    );
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    process.kill(holder.pid ?? 0, 'SIGKILL');
    await holder;

    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    // The dead holder's lock is stale after 2 s and taken over within this one request.
    const { status, body } = await getJson<{ current_count: number }>(`${cluster.url}/counter/file`, {
      timeoutMs: 20_000,
    });
    expect(status).toBe(200);
    expect(body.current_count).toBe(8);
  });

  it('answers a corrupt file with an error naming it, and leaves the file as it was', async () => {
    const dataDir = await makeTempDir();
    const path = join(dataDir, 'counter.json');
    await writeFile(path, 'garbage{');
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    const { status, body } = await getJson<{ error: string; message: string }>(`${cluster.url}/counter/file`);
    expect(status).toBe(500);
    expect(body.error).toBe('E_CORRUPT_STATE');
    expect(body.message).toContain(path);
    expect(await readFile(path, 'utf8')).toBe('garbage{');
  });
});

describe('the private redis-server', () => {
  it('is started when no URL is given, keeps its data across a restart, and is gone after SIGTERM', async () => {
    const dataDir = await makeTempDir();
    const first = await startCluster(['--workers', '2', '--data-dir', dataDir], { autoRedis: true });
    expect(first.stdout()).toMatch(
      /redis {5}redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(private redis-server started by this cluster\), up/,
    );
    const redisPid = Number(/private redis-server \(pid (\d+)\)/.exec(first.stderr())?.[1]);
    expect(isAlive(redisPid)).toBe(true);
    for (let request = 0; request < 5; request += 1) await getJson(`${first.url}/counter/redis`);
    const result = await stopCluster(first);
    expect(result.exitCode).toBe(0);
    expect(isAlive(redisPid)).toBe(false);

    const second = await startCluster(['--workers', '2', '--data-dir', dataDir], { autoRedis: true });
    expect((await getJson<{ current_count: number }>(`${second.url}/counter/redis`)).body.current_count).toBe(6);
    const secondRedisPid = Number(/private redis-server \(pid (\d+)\)/.exec(second.stderr())?.[1]);
    await stopCluster(second);
    await waitFor(() => (isAlive(secondRedisPid) ? undefined : true), 15_000, 'the private redis-server to exit');
  });
});
