// --max-requests over real workers: every worker is replaced after its share, the replacement
// listening before the old one drains, the crash-loop guard never counts it, no request fails. The
// requests await 60 ms of simulated I/O, so that 400 of them take longer than the boots they cause
// (a worker lives 50 requests; on a 2-core machine a boot takes up to 1.5 s).
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, isAlive, runCli, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

const recycledExits = (stderr: string): number => stderr.match(/as planned \(recycled\)/g)?.length ?? 0;

describe('--max-requests 50 on 2 workers', () => {
  it('replaces at least 6 workers over 400 requests, none of them a crash, and no request fails', {
    timeout: 120_000,
  }, async () => {
    const cluster = await startCluster(['--workers', '2', '--max-requests', '50', '--io-delay-ms', '60']);
    const { samples } = await runLoad({ urls: [`${cluster.url}/counter/unsafe`], requests: 400, concurrency: 2 });
    const failed = samples.filter((sample) => sample.status !== 200);
    expect(failed).toEqual([]);
    // Read from the log, not /cluster: a request would count towards a worker's limit.
    await waitFor(() => (recycledExits(cluster.stderr()) >= 6 ? true : undefined), 30_000, '6 recycled workers');
    // Back to two serving workers (one may be handing over right now).
    const body = await waitFor(
      async () => {
        const { body: stats } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
        return stats.workers.length >= 2 ? stats : undefined;
      },
      20_000,
      'two serving workers',
    );
    expect(body.recycled).toBeGreaterThanOrEqual(6);
    expect(body.restarts).toBe(body.recycled);
    expect(isAlive(cluster.primaryPid)).toBe(true);
    expect(cluster.stderr()).not.toMatch(/crash loop/);
    // The answers came from the two first workers and at least six replacements.
    expect(new Set(samples.map((sample) => sample.workerPid)).size).toBeGreaterThanOrEqual(8);
  });

  it('refuses --max-requests-jitter without --max-requests, naming both (exit 2)', async () => {
    const result = await runCli(['--max-requests-jitter', '10']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/`--max-requests-jitter` \(10\).*`--max-requests <n>`/);
  });
});
