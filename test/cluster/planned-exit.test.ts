import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, isAlive, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

const TOKEN = 'planned-exit-admin-token-0123456789';
const crash = (url: string) =>
  getJson<{ worker: { id: number; pid: number } }>(`${url}/admin/crash`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
    timeoutMs: 5000,
  });

describe('POST /admin/crash, again and again', () => {
  it('is a planned exit: 7 crashes in a row are replaced and counted, and are no crash loop', async () => {
    const cluster = await startCluster(['--workers', '4', '--admin-token', TOKEN]);
    const crashed: number[] = [];
    // As fast as the cluster answers: 7 deaths well within the crash guard's 10 s would stop it.
    for (let round = 0; round < 7; round += 1) {
      const answer = await waitFor(
        async () => {
          const { status, body } = await crash(cluster.url);
          return status === 200 ? body : undefined;
        },
        20_000,
        `crash ${round + 1} to be answered`,
      );
      crashed.push(answer.worker.pid);
    }
    const stats = await waitFor(
      async () => {
        const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 2000 });
        return body.restarts === 7 && body.workers.length === 4 ? body : undefined;
      },
      30_000,
      '7 restarts and 4 workers again',
    );
    expect(isAlive(cluster.primaryPid)).toBe(true);
    for (const pid of crashed) expect(stats.workers.map((worker) => worker.pid)).not.toContain(pid);
    expect(cluster.stderr()).not.toMatch(/crash loop/);
    expect(cluster.stderr().match(/exited with code 1 as planned \(POST \/admin\/crash\)/g)).toHaveLength(7);
  });

  it('closes its server before it exits: crashes during a run on new connections lose no request', {
    timeout: 120_000,
  }, async () => {
    const cluster = await startCluster(['--workers', '4', '--admin-token', TOKEN]);
    const crashes: Promise<unknown>[] = [];
    const { samples } = await runLoad({
      urls: [`${cluster.url}/counter/local`],
      requests: 3000,
      concurrency: 8,
      // Bounded: a connection lost in node:cluster's hand-off would never be answered.
      timeoutMs: 5000,
      onProgress: (done) => {
        if (done % 500 === 0 && done < 3000) crashes.push(crash(cluster.url));
      },
    });
    const answers = (await Promise.all(crashes)) as { status: number }[];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    const failed = samples.filter((sample) => sample.status !== 200);
    expect(failed).toEqual([]);
    await waitFor(
      async () => ((await getJson<ClusterStats>(`${cluster.url}/cluster`)).body.restarts === 5 ? true : undefined),
      20_000,
      '5 restarts',
    );
  });
});
