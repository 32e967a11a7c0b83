// Atomic read-modify-write in Redis over real workers: WATCH/MULTI/EXEC with retries and one Lua
// script both end exactly where they should under 50 concurrent connections across 4 workers, and
// /cluster shows how often each worker's WATCH transactions were aborted.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, startCluster, stopAllClusters } from '../helpers/cluster.js';
import { useFlushedRedis } from '../helpers/redis.js';

const redis = useFlushedRedis();
afterEach(stopAllClusters);

const REQUESTS = 2000;

describe.each([
  ['redis-watch', 'counter:watch'],
  ['redis-lua', 'counter:lua'],
])('/counter/%s: 2,000 requests at concurrency 50 on 4 workers', (strategy, key) => {
  it('ends at exactly +2,000, every answer a different value', async () => {
    await redis().set(key, '1000');
    const cluster = await startCluster(['--workers', '4']);
    const { samples } = await runLoad({
      urls: [`${cluster.url}/counter/${strategy}`],
      requests: REQUESTS,
      concurrency: 50,
    });
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    const values = samples.map((sample) => sample.count);
    expect(new Set(values).size).toBe(REQUESTS);
    expect(Math.min(...(values as number[]))).toBe(1001);
    expect(Math.max(...(values as number[]))).toBe(3000);
    expect(await redis().get(key)).toBe('3000');
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    expect(body.shared_counters[strategy]).toBe(3000);
    expect(new Set(samples.map((sample) => sample.workerPid)).size).toBe(4);
    if (strategy === 'redis-watch') {
      // Four workers racing on one key: transactions were aborted and retried, per worker in /cluster.
      const aborts = body.workers.map((worker) => worker.strategy_stats['redis-watch']?.aborts ?? 0);
      console.info(`redis-watch aborts per worker: ${aborts.join(', ')}`);
      expect(aborts.reduce((sum, value) => sum + value, 0)).toBeGreaterThan(0);
      expect(body.totals.strategy_stats['redis-watch']?.aborts).toBe(aborts.reduce((sum, value) => sum + value, 0));
      expect(body.totals.strategy_stats['redis-watch']?.gave_up).toBe(0);
    }
  });
});

describe('/counter/redis-watch answers', () => {
  it('carry the retries each increment needed', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const { status, body } = await getJson<{ current_count: number; strategy: string; retries: number }>(
      `${cluster.url}/counter/redis-watch`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ current_count: 1, strategy: 'redis-watch', retries: 0 });
  });
});
