// A blocked event loop, over real workers: while one connection waits on GET /user/blocking/1 (a
// synchronous wait of --db-delay-ms), another kept-alive connection to the same worker waits too,
// and a connection to another worker does not. Timing is the subject here, so the delay is large
// and the two connections are compared with each other, not with a fixed clock.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { percentile, pinTrio, probeUntil } from '../../tools/lib/pinned.js';
import { getJson, startCluster, stopAllClusters } from '../helpers/cluster.js';

afterEach(stopAllClusters);

const DELAY_MS = 2000;

const measure = async (loadPath: string) => {
  const cluster = await startCluster(['--workers', '4', '--db-delay-ms', String(DELAY_MS)]);
  const trio = await pinTrio(cluster.url);
  try {
    const load = trio.first.get(loadPath);
    const [same, other] = await Promise.all([
      probeUntil(trio.second, '/counter/local', load),
      probeUntil(trio.elsewhere, '/counter/local', load),
    ]);
    const answer = await load;
    const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
    const loopOf = (id: number) => body.workers.find((worker) => worker.id === id)?.event_loop;
    return {
      answer,
      same: { max: Math.max(...same), p50: percentile(same, 50) },
      other: { max: Math.max(...other), p50: percentile(other, 50), p99: percentile(other, 99) },
      loop: { same: loopOf(trio.first.workerId), other: loopOf(trio.elsewhere.workerId) },
    };
  } finally {
    trio.close();
  }
};

describe('GET /user/blocking/:id', () => {
  it("stalls its whole worker: that worker's other connection waits, another worker's does not", async () => {
    const { answer, same, other, loop } = await measure('/user/blocking/1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ source: 'database', data: { user_id: 1, name: 'User_1' } });
    expect(answer.ms).toBeGreaterThanOrEqual(DELAY_MS * 0.95);
    // Figures for the record: `npx vitest run test/cluster/blocking.test.ts` prints them.
    console.info(
      `blocking: same worker max ${same.max.toFixed(0)} ms; other worker p50 ${other.p50.toFixed(1)} ms, p99 ${other.p99.toFixed(1)} ms, max ${other.max.toFixed(1)} ms`,
    );
    expect(same.max).toBeGreaterThanOrEqual(0.8 * DELAY_MS);
    expect(other.p50).toBeLessThan(50);
    expect(other.max).toBeLessThan(same.max / 4);
    // The worker's own event-loop delay says the same (/cluster: event_loop).
    expect(loop.same?.max_ms).toBeGreaterThanOrEqual(0.8 * DELAY_MS);
    expect(loop.other?.max_ms).toBeLessThan((loop.same?.max_ms ?? 0) / 4);
  });

  it('the fix: the same database call awaited (a cache miss on /user/:id) leaves the worker serving', async () => {
    const { answer, same, other, loop } = await measure('/user/1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ source: 'database' });
    expect(answer.ms).toBeGreaterThanOrEqual(DELAY_MS * 0.95);
    console.info(
      `awaited: same worker max ${same.max.toFixed(1)} ms, p50 ${same.p50.toFixed(1)} ms; other worker max ${other.max.toFixed(1)} ms`,
    );
    expect(same.max).toBeLessThan(0.25 * DELAY_MS);
    expect(loop.same?.max_ms).toBeLessThan(0.25 * DELAY_MS);
  });
});
