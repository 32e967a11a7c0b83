import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { getJson, startCluster, stopAllClusters } from '../helpers/cluster.js';

afterEach(stopAllClusters);

describe('--instance', () => {
  it('names the cluster in every worker identity: bodies, headers, /cluster and the ready event', async () => {
    const cluster = await startCluster(['--workers', '2', '--instance', 'host-7']);
    const answer = await getJson<{ worker: { instance: string; id: number; pid: number } }>(
      `${cluster.url}/counter/local`,
    );
    expect(answer.body.worker).toEqual({
      instance: 'host-7',
      id: Number(answer.headers['x-worker-id']),
      pid: Number(answer.headers['x-worker-pid']),
    });
    expect(answer.headers['x-worker-instance']).toBe('host-7');
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(body.workers.map((worker) => worker.instance)).toEqual(['host-7', 'host-7']);
    expect(cluster.ready.instance).toBe('host-7');
  });

  it('refuses a name that a header cannot carry, naming the flag', async () => {
    const { runCli } = await import('../helpers/cluster.js');
    const result = await runCli(['--instance', 'two words']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(
      'cluster-state-lab: Expected `--instance` to be 1 to 64 letters, digits, dots, dashes or underscores, got `two words`.',
    );
  });
});
