// --shutdown-delay-ms with real processes and real signals: after SIGTERM (or a Ctrl-C to the whole
// process group) every worker fails /healthz while it still serves everything else, for the delay;
// then the usual drain (refused connections, exit 0). A second signal skips the rest of the wait.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import {
  type ClusterProcess,
  getJson,
  isAlive,
  startCluster,
  stopAllClusters,
  stopCluster,
  waitFor,
} from '../helpers/cluster.js';

afterEach(stopAllClusters);

interface Healthz {
  status: string;
  worker: { instance: string; id: number; pid: number };
  redis: string;
}

/** Poll /healthz on new connections until every worker has answered 503 "draining"; their bodies. */
const waitForDraining = async (cluster: ClusterProcess): Promise<Map<number, Healthz>> => {
  const draining = new Map<number, Healthz>();
  await waitFor(
    async () => {
      const { status, body } = await getJson<Healthz>(`${cluster.url}/healthz`);
      if (status === 503) draining.set(body.worker.pid, body);
      return draining.size === cluster.workerPids.length ? true : undefined;
    },
    20_000,
    'every worker to answer /healthz 503',
  );
  return draining;
};

/** The moment a new connection is refused: the workers closed their listening socket. */
const waitForRefused = (cluster: ClusterProcess): Promise<number> =>
  waitFor(
    () =>
      getJson(`${cluster.url}/healthz`).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' ? performance.now() : undefined),
      ),
    30_000,
    'connections to be refused',
  );

/** Wait for the primary to exit by itself (no further signal), then check that every pid is gone. */
const exitCodeOf = async (cluster: ClusterProcess): Promise<number | undefined> => {
  const { exitCode } = await cluster.child;
  await stopCluster(cluster);
  for (const pid of cluster.seenPids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  return exitCode;
};

describe('--shutdown-delay-ms', () => {
  it('answers /healthz 503 "draining" and /counter/local 200 for the delay after SIGTERM, then refuses connections and exits 0', async () => {
    const delayMs = 3000;
    const cluster = await startCluster(['--workers', '2', '--shutdown-delay-ms', String(delayMs)]);
    const before = await getJson<Healthz>(`${cluster.url}/healthz`);
    expect(before.status).toBe(200);
    expect(before.body.status).toBe('ok');

    const signalledAt = performance.now();
    process.kill(cluster.primaryPid, 'SIGTERM');
    const line = await cluster.waitForLog(/.*"event":"shutdown-delay".*/);
    expect(line).toContain(`for ${delayMs} ms (--shutdown-delay-ms)`);

    const draining = await waitForDraining(cluster);
    expect([...draining.keys()].sort()).toEqual([...cluster.workerPids].sort());
    for (const [pid, body] of draining) {
      // The same fields as a healthy answer, with the status that tells a balancer to stop.
      expect(body).toEqual({
        status: 'draining',
        worker: { instance: before.body.worker.instance, id: body.worker.id, pid },
        redis: 'up',
      });
    }
    // Everything else is served as usual, by both workers.
    const servedBy = new Set<number>();
    for (let request = 0; request < 6; request += 1) {
      const { status, body } = await getJson<{ worker: { pid: number } }>(`${cluster.url}/counter/local`);
      expect(status).toBe(200);
      servedBy.add(body.worker.pid);
    }
    expect(servedBy.size).toBe(2);

    const refusedAt = await waitForRefused(cluster);
    // The drain began only once the delay was over (a timer in the workers, started after the signal).
    expect(refusedAt - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
    expect(await exitCodeOf(cluster)).toBe(0);
    expect(cluster.stderr()).toMatch(/draining \(SIGTERM, by the primary, after 3000 ms of \/healthz 503\)/);
  });

  it('skips the rest of the delay on a second SIGTERM to the primary', async () => {
    const cluster = await startCluster(['--workers', '2', '--shutdown-delay-ms', '60000']);
    process.kill(cluster.primaryPid, 'SIGTERM');
    await cluster.waitForLog(/"event":"shutdown-delay"/);
    await waitForDraining(cluster);
    expect((await getJson(`${cluster.url}/counter/local`)).status).toBe(200);

    const secondAt = performance.now();
    process.kill(cluster.primaryPid, 'SIGTERM');
    await cluster.waitForLog(/SIGTERM again: skipping the rest of the 60000 ms wait/);
    await waitForRefused(cluster);
    expect(await exitCodeOf(cluster)).toBe(0);
    // A hang guard, far from both: about 0.3 s here, against the 60 s the delay would have taken.
    expect(performance.now() - secondAt).toBeLessThan(30_000);
    expect(cluster.stderr().match(/the rest of the 60000 ms wait skipped/g)).toHaveLength(2);
  });

  it('counts a Ctrl-C to the whole process group once (the workers wait), and a second one skips the wait', async () => {
    const cluster = await startCluster(['--workers', '2', '--shutdown-delay-ms', '60000'], { detached: true });
    // As a terminal's Ctrl-C: the primary and every worker get SIGINT, and the workers the primary's word too.
    process.kill(-cluster.primaryPid, 'SIGINT');
    await cluster.waitForLog(/"event":"shutdown-delay"/);
    await waitForDraining(cluster);
    // /cluster goes through the primary, which asks each worker over its IPC channel after the shutdown
    // notice it sent: an answer from both means both have taken the notice, and still serve.
    const { status, body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(status).toBe(200);
    expect(body.workers.map((worker) => worker.pid).sort()).toEqual([...cluster.workerPids].sort());
    for (let request = 0; request < 4; request += 1)
      expect((await getJson(`${cluster.url}/counter/local`)).status).toBe(200);
    expect(cluster.stderr()).not.toMatch(/draining \(SIGINT/);

    const secondAt = performance.now();
    process.kill(-cluster.primaryPid, 'SIGINT');
    await waitForRefused(cluster);
    expect(await exitCodeOf(cluster)).toBe(0);
    expect(performance.now() - secondAt).toBeLessThan(30_000);
    expect(cluster.stderr()).toMatch(/draining \(SIGINT.*the rest of the 60000 ms wait skipped\)/);
  });
});
