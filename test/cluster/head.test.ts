// HEAD is safe (RFC 9110): on a real cluster it changes no counter, no cache, no database count,
// and no admin state, however often it is sent and whichever worker takes it.
import { type IncomingHttpHeaders, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { getJson, startCluster, stopAllClusters } from '../helpers/cluster.js';
import { useFlushedRedis } from '../helpers/redis.js';

const TOKEN = 'head-suite-token-abcdefghijklmnopq';

const redis = useFlushedRedis();
afterEach(stopAllClusters);

/** One HEAD on a new connection (so the round robin picks a worker each time). */
const head = (
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; bodyBytes: number }> =>
  new Promise((resolve, reject) => {
    const call = request(url, { method: 'HEAD', headers, agent: false, timeout: 10_000 }, (response) => {
      let bodyBytes = 0;
      response.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bodyBytes }));
    });
    call.on('timeout', () => call.destroy(new Error(`HEAD ${url}: timed out`)));
    call.on('error', reject);
    call.end();
  });

/** Everything a request could change, from /cluster: counters, increments, caches, database calls. */
const stateOf = (stats: ClusterStats) => ({
  shared: stats.shared_counters,
  strategies: stats.strategies,
  workers: stats.workers.map(({ id, counters, increments, caches, db_calls }) => ({
    id,
    counters,
    increments,
    caches,
    db_calls,
  })),
});

describe('HEAD', () => {
  it('changes no counter, cache, hit or miss, database count or Redis key, on any route', async () => {
    const cluster = await startCluster(['--workers', '2', '--db-delay-ms', '0', '--admin-token', TOKEN]);
    // Some state to keep: every counter at 1 or more, user 1 in some caches, user 2 in none.
    for (const path of ['/counter', '/counter/local', '/counter/ipc', '/counter/file', '/counter/redis', '/user/1']) {
      expect((await getJson(`${cluster.url}${path}`)).status).toBe(200);
    }
    const before = stateOf((await getJson<ClusterStats>(`${cluster.url}/cluster`)).body);

    const paths = [
      '/counter',
      '/counter/local',
      '/counter/unsafe',
      '/counter/ipc',
      '/counter/file',
      '/counter/redis',
      '/counter/redis-unsafe',
      '/user/1',
      '/user/2',
      '/user/lru/1',
      '/user/ttl/1',
      '/user/redis/1',
    ];
    const workersSeen = new Set<string>();
    for (let round = 0; round < 2; round += 1) {
      for (const path of paths) {
        const answer = await head(`${cluster.url}${path}`);
        expect(answer.status, path).toBe(200);
        expect(answer.headers['content-type'], path).toMatch(/^application\/json/);
        expect(answer.bodyBytes, path).toBe(0);
        workersSeen.add(String(answer.headers['x-worker-id']));
      }
    }
    expect(workersSeen.size).toBe(2);
    expect((await head(`${cluster.url}/user/abc`)).status).toBe(400);

    const after = stateOf((await getJson<ClusterStats>(`${cluster.url}/cluster`)).body);
    expect(after).toEqual(before);
    expect(await redis().exists('user:1', 'user:2')).toBe(0);
  });

  it('on an admin route is a 405 whatever the token: it runs nothing and says nothing about the token', async () => {
    const cluster = await startCluster(['--workers', '2', '--admin-token', TOKEN, '--admin-max-failures', '1']);
    const before = (await getJson<ClusterStats>(`${cluster.url}/cluster`)).body;
    for (const token of [TOKEN, 'wrong-token-wrong-token-wrong', TOKEN]) {
      const answer = await head(`${cluster.url}/admin/reset`, { authorization: `Bearer ${token}` });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
    }
    const after = (await getJson<ClusterStats>(`${cluster.url}/cluster`)).body;
    expect(after.restarts).toBe(before.restarts);
    expect(cluster.stderr()).not.toMatch(/admin: /);
    // With a limit of one failure, a HEAD that had counted would have blocked this address.
    const reset = await getJson(`${cluster.url}/admin/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(reset.status).toBe(200);
  });
});
