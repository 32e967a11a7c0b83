import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The routes of the fixes, in-process (no process boundary is the point here): ?guard= validation,
// the blocking route, the new counters without Redis, and the fields they add to /stats.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/app.js';
import { defaultConfig } from '../src/config.js';
import { createLab } from '../src/lab.js';
import { connectRedis, createRedisClient } from '../src/redis/client.js';
import type { ClusterStats } from '../src/stats.js';
import { linkedChannels } from './helpers/channels.js';

let redis: Redis;
beforeAll(async () => {
  redis = createRedisClient(inject('redisUrl'), { name: 'unit-app-fixes' });
  redis.on('error', () => {});
  await connectRedis(redis);
});
afterAll(() => {
  redis.disconnect();
});

const makeApp = (client: Redis | null, overrides: Partial<ReturnType<typeof defaultConfig>> = {}) => {
  const config = {
    ...defaultConfig(),
    dbDelayMs: 0,
    redisPrefix: `unit-app-fixes-${process.pid}-${Math.random()}:`,
    ...overrides,
  };
  const lab = createLab({
    config,
    identity: { instance: 'test', id: 1, pid: 4242 },
    redis: client,
    channel: linkedChannels().worker,
  });
  const clusterStats = async (): Promise<ClusterStats> => {
    throw new Error('not in this test');
  };
  const metrics = async () => ({ text: '', contentType: 'text/plain' });
  return { app: createApp({ lab, clusterStats, metrics }), lab };
};

describe('?guard= on the Redis cache', () => {
  it('is a 400 naming `guard` for anything but none, worker, fleet, on GET and on HEAD', async () => {
    const { app, lab } = makeApp(redis);
    for (const method of ['GET', 'HEAD']) {
      const answer = await app.request('/user/redis/1?guard=all', { method });
      expect(answer.status).toBe(400);
    }
    const body = await (await app.request('/user/redis/1?guard=%00')).json();
    expect(body).toMatchObject({ error: 'E_BAD_PARAM', message: expect.stringContaining('`guard`') });
    expect(lab.db.calls).toBe(0);
  });

  it('answers the reference body without a guard, and tells mode and role with one', async () => {
    const { app } = makeApp(redis);
    expect(await (await app.request('/user/redis/5')).json()).toEqual({
      source: 'database',
      data: { user_id: 5, name: 'User_5' },
      worker: { instance: 'test', id: 1, pid: 4242 },
    });
    expect(await (await app.request('/user/redis/5?guard=fleet')).json()).toMatchObject({
      source: 'redis_cache',
      guard: { mode: 'fleet', role: 'hit' },
    });
    expect(await (await app.request('/user/redis/6?guard=worker')).json()).toMatchObject({
      source: 'database',
      guard: { mode: 'worker', role: 'loaded' },
    });
    expect(await (await app.request('/user/redis/7?guard=none')).json()).not.toHaveProperty('guard');
  });

  it('leaves the in-memory caches alone: the parameter means nothing there', async () => {
    const { app } = makeApp(null);
    const answer = await app.request('/user/lru/1?guard=anything');
    expect(answer.status).toBe(200);
    expect(await answer.json()).not.toHaveProperty('guard');
  });

  it('guards /user/:id too when --state redis puts it on Redis', async () => {
    const { app } = makeApp(redis, { state: 'redis' });
    expect((await app.request('/user/8?guard=nope')).status).toBe(400);
    expect(await (await app.request('/user/8?guard=worker')).json()).toMatchObject({ guard: { role: 'loaded' } });
  });
});

describe('GET /user/blocking/:id', () => {
  it('answers from the database with a synchronous wait, counted as a database call', async () => {
    const { app, lab } = makeApp(null, { dbDelayMs: 30 });
    const started = performance.now();
    const answer = await app.request('/user/blocking/9');
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(await answer.json()).toMatchObject({ source: 'database', data: { user_id: 9, name: 'User_9' } });
    expect(lab.db.calls).toBe(1);
  });

  it('runs nothing on HEAD and refuses a bad id', async () => {
    const { app, lab } = makeApp(null, { dbDelayMs: 5000 });
    expect((await app.request('/user/blocking/9', { method: 'HEAD' })).status).toBe(200);
    expect((await app.request('/user/blocking/x')).status).toBe(400);
    expect(lab.db.calls).toBe(0);
  });
});

describe('the read-modify-write counters', () => {
  it.each(['redis-watch', 'redis-lua'])('/counter/%s is a 503 naming how to enable Redis without it', async (name) => {
    const { app } = makeApp(null);
    const answer = await app.request(`/counter/${name}`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: 'E_REDIS_DISABLED' });
    expect((await app.request(`/counter/${name}`, { method: 'HEAD' })).status).toBe(503);
  });

  it('redis-watch answers its retries, and /stats its aborts under strategy_stats', async () => {
    const { app, lab } = makeApp(redis);
    expect(await (await app.request('/counter/redis-watch')).json()).toMatchObject({
      current_count: 1,
      strategy: 'redis-watch',
      retries: 0,
    });
    expect(await (await app.request('/counter/redis-lua')).json()).toMatchObject({ current_count: 1 });
    expect(lab.stats().strategy_stats['redis-watch']).toEqual({ aborts: 0, retried: 0, gave_up: 0 });
  });

  it('the file counter reports its commits and what they carried under strategy_stats', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'app-fixes-file-'));
    const { app, lab } = makeApp(null, { dataDir });
    const answers = await Promise.all([1, 2, 3, 4].map(() => app.request('/counter/file')));
    await rm(dataDir, { recursive: true, force: true });
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const file = lab.stats().strategy_stats.file;
    // Four increments, in as many commits as the group commit needed (one, when they came together).
    expect(file?.batched).toBe(4);
    expect(file?.commits).toBeGreaterThanOrEqual(1);
    expect(file?.commits).toBeLessThanOrEqual(4);
    expect(file?.lock_wait_ms).toBeGreaterThanOrEqual(0);
  });
});
