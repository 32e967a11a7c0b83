import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { getJson, isAlive, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

const stoppedPids = new Set<number>();
afterEach(async () => {
  // Whatever happened, no stopped process is left behind.
  for (const pid of stoppedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  stoppedPids.clear();
  await stopAllClusters();
});

describe('the heartbeat', () => {
  it('logs a worker stopped with SIGSTOP, kills it after the grace and replaces it', async () => {
    const cluster = await startCluster(['--workers', '2', '--heartbeat-grace-ms', '2000', '--db-delay-ms', '60000']);
    const [victim, other] = cluster.workerPids as [number, number];
    // A request the victim is busy with when it stops: without the heartbeat it would wait as long
    // as the worker stays stopped (here: for ever).
    const inFlight = getJson(`${cluster.url}/user/7`, { timeoutMs: 120_000 }).catch((error: Error) => error);
    await waitFor(
      async () => {
        const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
        return body.totals.db_calls === 1 ? true : undefined;
      },
      20_000,
      'the request to reach the database',
    );
    const { body: before } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    const busy = before.workers.find((worker) => worker.db_calls === 1)?.pid ?? victim;
    stoppedPids.add(busy);
    process.kill(busy, 'SIGSTOP');

    await cluster.waitForLog(
      new RegExp(`\\(pid ${busy}\\) has not answered the heartbeat for [\\d.]+ s; it is replaced`),
    );
    await cluster.waitForLog(new RegExp(`\\(pid ${busy}\\) has not answered the heartbeat .*killing it \\(SIGKILL\\)`));
    await waitFor(() => (isAlive(busy) ? undefined : true), 20_000, 'the stopped worker to be killed');
    // Its client learns at once (the connection is reset) instead of waiting.
    expect(await inFlight).toBeInstanceOf(Error);

    const after = await waitFor(
      async () => {
        const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 2000 });
        return body.workers.length === 2 && body.restarts === 1 ? body : undefined;
      },
      20_000,
      'a replacement',
    );
    const pids = after.workers.map((worker) => worker.pid);
    expect(pids).not.toContain(busy);
    expect(pids).toContain(busy === victim ? other : victim);
  });

  it('kills no worker that keeps answering, even one with its requests waiting for a slow database', async () => {
    const cluster = await startCluster(['--workers', '2', '--heartbeat-grace-ms', '1500', '--db-delay-ms', '4000']);
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, index) => getJson(`${cluster.url}/user/${index}`, { timeoutMs: 30_000 })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(cluster.stderr()).not.toMatch(/killing it/);
    for (const pid of cluster.workerPids) expect(isAlive(pid)).toBe(true);
  });
});
