import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../src/redis/server.js';
import { getJson, makeTempDir, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

let server: RedisServer | undefined;
afterEach(async () => {
  await stopAllClusters();
  await server?.stop();
  server = undefined;
});

describe('Redis going away while the cluster runs', () => {
  it('answers 503 fast, fails the cache open, and recovers by itself when Redis is back', async () => {
    const dir = await makeTempDir();
    server = await startRedisServer({ dir, appendOnly: false });
    const { port } = server;
    const cluster = await startCluster(['--workers', '2', '--redis-url', server.url, '--db-delay-ms', '0']);
    expect((await getJson(`${cluster.url}/counter/redis`)).status).toBe(200);

    await server.stop();
    // A hang guard only (the README's bound is 1 s per command; the answer comes in milliseconds).
    const down = Date.now();
    const counter = await getJson<{ error: string; message: string }>(`${cluster.url}/counter/redis`);
    expect(Date.now() - down).toBeLessThan(10_000);
    expect(counter.status).toBe(503);
    expect(counter.body.error).toBe('E_REDIS_DOWN');

    const user = await getJson<{ source: string }>(`${cluster.url}/user/redis/2`);
    expect(user.status).toBe(200);
    expect(user.body.source).toBe('database');
    expect(user.headers['x-cache-bypassed']).toBe('redis down');
    expect((await getJson<{ redis: string }>(`${cluster.url}/healthz`)).body.redis).toBe('down');

    server = await startRedisServer({ dir, appendOnly: false, port });
    await waitFor(
      async () => {
        // Both workers must be back, not just the one that happens to answer.
        const answers = await Promise.all(
          Array.from({ length: 4 }, () => getJson<{ current_count?: number }>(`${cluster.url}/counter/redis`)),
        );
        return answers.every((answer) => answer.status === 200) ? true : undefined;
      },
      15_000,
      '/counter/redis to answer 200 again',
    );
    await getJson(`${cluster.url}/user/redis/3`);
    await waitFor(
      async () =>
        (await getJson<{ source: string }>(`${cluster.url}/user/redis/3`)).body.source === 'redis_cache'
          ? true
          : undefined,
      15_000,
      'the Redis cache to hit again',
    );
    expect(cluster.stderr()).toMatch(/Redis down/);
    expect(cluster.stderr()).toMatch(/Redis up/);
  });
});
