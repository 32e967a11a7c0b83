import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad, type Sample } from '../../tools/hammer/load.js';
import { getJson, runCli, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

/** Far above what /counter/local needs on a busy machine; a connection lost in a hand-off never ends. */
const HUNG_AFTER_MS = 5000;

describe('--schedule os (the kernel hands out connections)', () => {
  it('leaves no connection hanging when workers are SIGKILLed under load', { timeout: 120_000 }, async () => {
    const cluster = await startCluster(['--workers', '3'], { env: { CLUSTER_SCHEDULE: 'os' } });
    expect(cluster.ready.schedule).toBe('os');
    const failures: Sample[] = [];
    const stop = new AbortController();
    let answered = 0;
    const load = runLoad({
      urls: [`${cluster.url}/counter/local`],
      requests: 10_000_000,
      durationMs: 120_000,
      concurrency: 20,
      timeoutMs: HUNG_AFTER_MS,
      keepSamples: false,
      signal: stop.signal,
      onSample: (sample) => {
        answered += 1;
        if (sample.status !== 200) failures.push(sample);
      },
    });
    for (let kill = 1; kill <= 4; kill += 1) {
      const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
      const victim = body.workers[kill % body.workers.length];
      if (victim === undefined) throw new Error('no worker to kill');
      const served = answered;
      process.kill(victim.pid, 'SIGKILL');
      await waitFor(
        async () => {
          const stats = (await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 2000 })).body;
          // Whole again, and serving the load since the kill.
          return stats.restarts === kill && stats.workers.length === 3 && answered > served + 100 ? true : undefined;
        },
        30_000,
        `the replacement after kill ${kill}`,
      );
    }
    stop.abort();
    await load;
    expect(answered).toBeGreaterThan(400);
    // Requests the killed worker had taken fail at once (reset); none waits for the client's timeout.
    expect(failures.filter((sample) => sample.error === 'ETIMEDOUT')).toEqual([]);
  });

  it('is refused with exit code 2 when it names no policy', async () => {
    const result = await runCli(['--schedule', 'fair']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe('cluster-state-lab: Expected `--schedule` to be one of rr, os, got `fair`.');
  });
});
