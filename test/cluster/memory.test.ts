// Memory after a load, in a real worker: the young generation a load grew is given back once the
// worker is idle (src/worker/idle-shrink.ts). Resident memory is read from /proc, as the bench does.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../../tools/hammer/load.js';
import { startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

/** Private (anonymous) resident memory of a process, in MB: what the worker itself holds. */
const rssAnonMb = async (pid: number): Promise<number> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^RssAnon:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no RssAnon for pid ${pid}`);
  return Number(kb) / 1024;
};

describe('an idle worker after a load', () => {
  it('gives back what the load grew: private memory back within 10 % of before the load', {
    timeout: 120_000,
  }, async () => {
    const cluster = await startCluster(['--workers', '1']);
    const [pid] = cluster.workerPids;
    if (pid === undefined) throw new Error('no worker pid');
    const before = await rssAnonMb(pid);
    // Enough answers to grow V8's young generation to its maximum (each request allocates a few kB).
    await runLoad({ urls: [`${cluster.url}/user/lru/1`], requests: 20_000, concurrency: 32, keepAlive: true });
    const grown = await rssAnonMb(pid);
    const settled = await waitFor(
      async () => {
        const now = await rssAnonMb(pid);
        return now <= before * 1.1 ? now : undefined;
      },
      60_000,
      `private memory back within 10 % of ${before.toFixed(1)} MB (it was ${grown.toFixed(1)} MB after the load)`,
    );
    expect(settled).toBeLessThanOrEqual(before * 1.1);
  });
});
