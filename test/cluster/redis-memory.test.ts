// The private Redis is bounded (--redis-max-memory-mb) with an eviction policy that only ever evicts
// keys with a TTL: the cache's SETEX keys go, the counters (no TTL) stay; and when nothing is left to
// evict, a counter gets a named 503 rather than a wrong or lost count.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClusterProcess, getJson, makeTempDir, startCluster, stopAllClusters } from '../helpers/cluster.js';

const clients: Redis[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await stopAllClusters();
});

/** A client to the cluster's private Redis, with the password the primary left in its data dir. */
const privateRedis = async (cluster: ClusterProcess, dataDir: string): Promise<Redis> => {
  const port = Number(new URL(cluster.ready.redis?.url ?? '').port);
  const password = (await readFile(join(dataDir, 'redis', 'password'), 'utf8')).trim();
  const client = new Redis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
};

const startSmall = async () => {
  const dataDir = await makeTempDir();
  const cluster = await startCluster(
    ['--workers', '1', '--data-dir', dataDir, '--redis-max-memory-mb', '4', '--db-delay-ms', '0'],
    { autoRedis: true },
  );
  return { cluster, redis: await privateRedis(cluster, dataDir) };
};

const VALUE = 'x'.repeat(20_000);

describe('a private Redis that fills up', () => {
  it('is bounded, evicts cache keys (they have a TTL) and never the counters', async () => {
    const { cluster, redis } = await startSmall();
    expect(await redis.config('GET', 'maxmemory')).toEqual(['maxmemory', String(4 * 1024 * 1024)]);
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'volatile-lru']);
    for (let request = 0; request < 5; request += 1) await getJson(`${cluster.url}/counter/redis`);
    expect((await getJson(`${cluster.url}/user/redis/1`)).status).toBe(200);

    // 8 MB of cache entries, written as the cache writes them (SETEX), into 4 MB.
    for (let batch = 0; batch < 8; batch += 1) {
      const pipeline = redis.pipeline();
      for (let index = 0; index < 50; index += 1) pipeline.setex(`user:${1000 + batch * 50 + index}`, 600, VALUE);
      await pipeline.exec();
    }
    const stats = await redis.info('stats');
    expect(Number(/evicted_keys:(\d+)/.exec(stats)?.[1])).toBeGreaterThan(0);
    expect(await redis.dbsize()).toBeLessThan(400);

    expect(await redis.get('counter')).toBe('5');
    const { status, body } = await getJson<{ current_count: number }>(`${cluster.url}/counter/redis`);
    expect(status).toBe(200);
    expect(body.current_count).toBe(6);
    const user = await getJson<{ source: string }>(`${cluster.url}/user/redis/2`);
    expect(user.status).toBe(200);
    expect(user.headers['x-cache-bypassed']).toBeUndefined();
  });

  it('answers a counter with a named 503 when only keys without a TTL fill it, and the cache fails open', async () => {
    const { cluster, redis } = await startSmall();
    expect((await getJson(`${cluster.url}/counter/redis`)).status).toBe(200);
    // Keys without a TTL may not be evicted: fill with small ones until Redis refuses a write. Small,
    // so that what pushes it over the bound is the keys themselves, not one big command's buffer.
    let refused: unknown;
    for (let batch = 0; batch < 100 && refused === undefined; batch += 1) {
      const pipeline = redis.pipeline();
      for (let index = 0; index < 100; index += 1) pipeline.set(`ballast:${batch}:${index}`, VALUE.slice(0, 1000));
      refused = (await pipeline.exec())?.find(([error]) => error !== null)?.[0] ?? undefined;
    }
    expect(String(refused)).toContain('OOM');
    // Right at the bound, a command's own buffer decides; put the bound below what the keys take, so
    // that Redis stays full whatever the next command is.
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    await redis.config('SET', 'maxmemory', String(used - 1024 * 1024));

    const { status, body } = await getJson<{ error: string; message: string }>(`${cluster.url}/counter/redis`);
    expect(status).toBe(503);
    expect(body.error).toBe('E_REDIS_OOM');
    expect(body.message).toContain('--redis-max-memory-mb');
    expect(await redis.get('counter')).toBe('1');
    const user = await getJson<{ source: string }>(`${cluster.url}/user/redis/3`);
    expect(user.status).toBe(200);
    expect(user.body.source).toBe('database');
  });
});
