import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad, type Sample } from '../../tools/hammer/load.js';
import { getJson, isAlive, startCluster, stopAllClusters, stopCluster, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

const byPid = (samples: readonly Sample[]) => {
  const served = new Map<number, { requests: number; maxCount: number }>();
  for (const sample of samples) {
    if (sample.workerPid === undefined) continue;
    const entry = served.get(sample.workerPid) ?? { requests: 0, maxCount: 0 };
    entry.requests += 1;
    entry.maxCount = Math.max(entry.maxCount, sample.count ?? 0);
    served.set(sample.workerPid, entry);
  }
  return served;
};

describe('a 4-worker cluster in memory state', () => {
  it('keeps one counter per worker: each pid counts exactly the requests it served', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const { samples } = await runLoad({ urls: [`${cluster.url}/counter`], requests: 400, concurrency: 20 });

    expect(samples.filter((sample) => sample.status === 200)).toHaveLength(400);
    const served = byPid(samples);
    expect(served.size).toBeGreaterThanOrEqual(2);
    for (const pid of served.keys()) expect(cluster.workerPids).toContain(pid);
    for (const { requests, maxCount } of served.values()) expect(maxCount).toBe(requests);
    // No worker saw the whole load: that is the lesson.
    expect(Math.max(...[...served.values()].map((entry) => entry.maxCount))).toBeLessThan(400);

    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(body.workers).toHaveLength(4);
    for (const worker of body.workers) {
      expect(worker.counters.local).toBe(served.get(worker.pid)?.requests ?? 0);
    }
    expect(body.totals.counters.local).toBe(400);
  });

  it('keeps /counter/ipc exact under 400 requests at concurrency 50', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const { samples } = await runLoad({ urls: [`${cluster.url}/counter/ipc`], requests: 400, concurrency: 50 });

    const counts = samples.map((sample) => sample.count);
    expect(samples.every((sample) => sample.status === 200)).toBe(true);
    expect(new Set(counts).size).toBe(400);
    expect(Math.max(...counts.map(Number))).toBe(400);
    expect(byPid(samples).size).toBeGreaterThanOrEqual(2);
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(body.ipc_counter).toBe(400);
  });

  it('pays one database call per worker that served a cached user', async () => {
    const cluster = await startCluster(['--workers', '4', '--db-delay-ms', '50']);
    const servedBy = new Set<number>();
    for (let request = 0; request < 40; request += 1) {
      const { status, body } = await getJson<{ worker: { pid: number }; source: string }>(`${cluster.url}/user/1`);
      expect(status).toBe(200);
      servedBy.add(body.worker.pid);
    }
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    for (const worker of body.workers) {
      expect(worker.db_calls).toBe(servedBy.has(worker.pid) ? 1 : 0);
      expect(worker.caches.map?.misses).toBe(servedBy.has(worker.pid) ? 1 : 0);
    }
    expect(body.totals.db_calls).toBe(servedBy.size);
    expect(body.totals.caches.map?.hits).toBe(40 - servedBy.size);
  });

  it('replaces a SIGKILLed worker: new pid, local count from 1, IPC count kept', async () => {
    const cluster = await startCluster(['--workers', '4']);
    for (let request = 0; request < 20; request += 1) await getJson(`${cluster.url}/counter/ipc`);
    const victim = cluster.workerPids[0] as number;
    process.kill(victim, 'SIGKILL');

    const replacement = await waitFor(
      async () => {
        // Short timeouts (/cluster itself may wait up to 250 ms for its turn): a connection handed to the
        // worker as it died is never answered (see README).
        const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 2000 });
        const fresh = body.workers.find((worker) => !cluster.workerPids.includes(worker.pid));
        return fresh && body.workers.length === 4 ? { fresh, restarts: body.restarts } : undefined;
      },
      15_000,
      'a replacement worker in /cluster',
    );
    expect(replacement.restarts).toBe(1);
    expect(isAlive(victim)).toBe(false);
    expect(cluster.stderr()).toMatch(new RegExp(`pid ${victim}\\) was killed by SIGKILL`));

    const first = await waitFor(
      async () => {
        const { body } = await getJson<{ worker: { pid: number }; current_count: number }>(`${cluster.url}/counter`, {
          timeoutMs: 500,
        });
        return body.worker.pid === replacement.fresh.pid ? body : undefined;
      },
      15_000,
      'an answer from the replacement',
    );
    expect(first.current_count).toBe(1);
    const ipc = await getJson<{ current_count: number }>(`${cluster.url}/counter/ipc`);
    expect(ipc.body.current_count).toBe(21);
  });

  it('pins a keep-alive client to one worker, unless the server runs with --no-keep-alive', async () => {
    const [pinned, spread] = await Promise.all([
      startCluster(['--workers', '4']),
      startCluster(['--workers', '4', '--no-keep-alive']),
    ]);
    const browserLike = (url: string) =>
      runLoad({ urls: [`${url}/counter`], requests: 20, concurrency: 1, keepAlive: true });
    const pinnedRun = await browserLike(pinned?.url ?? '');
    const spreadRun = await browserLike(spread?.url ?? '');
    expect(new Set(pinnedRun.samples.map((sample) => sample.workerPid)).size).toBe(1);
    expect(pinnedRun.samples.map((sample) => sample.count)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    expect(new Set(spreadRun.samples.map((sample) => sample.workerPid)).size).toBeGreaterThanOrEqual(2);
    expect(spread?.stdout()).toContain('Keep-alive is off (--no-keep-alive)');
  });

  it('stops on SIGTERM with exit code 0 and leaves no process behind', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const pids = [cluster.primaryPid, ...cluster.workerPids];
    const result = await stopCluster(cluster, 'SIGTERM');
    expect(result.exitCode).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(cluster.stderr()).toContain('all workers stopped; exiting with code 0');
  });

  it('stops with exit code 1 when workers keep dying (crash loop)', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const killed = new Set<number>();
    const result = await waitFor(
      async () => {
        if (cluster.child.exitCode !== null) return cluster.child;
        for (const pid of cluster.seenPids) {
          if (pid !== cluster.primaryPid && !killed.has(pid) && isAlive(pid)) {
            killed.add(pid);
            process.kill(pid, 'SIGKILL');
          }
        }
        return undefined;
      },
      15_000,
      'the crash-loop guard to stop the cluster',
    );
    expect((await result).exitCode).toBe(1);
    expect(cluster.stderr()).toMatch(/crash loop: more than 5 worker deaths within 10 s/);
    expect(killed.size).toBeGreaterThanOrEqual(6);
    await stopCluster(cluster);
  });
});
