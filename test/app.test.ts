import { describe, expect, it } from 'vitest';
import { createApp, type Health } from '../src/app.js';
import { defaultConfig } from '../src/config.js';
import { ipcStrategy } from '../src/counters/ipc.js';
import { createLab } from '../src/lab.js';
import type { ClusterStats } from '../src/stats.js';
import { linkedChannels } from './helpers/channels.js';

const makeApp = (overrides: Partial<ReturnType<typeof defaultConfig>> = {}, health?: () => Health) => {
  const config = { ...defaultConfig(), dbDelayMs: 0, ...overrides };
  // A fake primary that keeps the ipc counter, with the strategy's own primary half.
  const { worker: channel, primary } = linkedChannels();
  ipcStrategy.createStorage?.({ config, redis: null, handle: (type, handler) => primary.handle(type, handler) });
  const lab = createLab({ config, identity: { instance: 'test', id: 3, pid: 4242 }, redis: null, channel });
  const clusterStats = async (): Promise<ClusterStats> => {
    throw new Error('not in this test');
  };
  const metrics = async () => ({ text: '', contentType: 'text/plain' });
  return { app: createApp({ lab, clusterStats, metrics, health }), lab };
};

describe('counter routes', () => {
  it.each([
    ['/counter', 'local'],
    ['/counter/local', 'local'],
    ['/counter/unsafe', 'unsafe'],
    ['/counter/ipc', 'ipc'],
  ])('%s answers the reference body with strategy %s', async (path, strategy) => {
    const { app } = makeApp({ ioDelayMs: 0 });
    const first = await app.request(path);
    const second = await app.request(path);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ current_count: 1, strategy, worker: { instance: 'test', id: 3, pid: 4242 } });
    expect(await second.json()).toMatchObject({ current_count: 2 });
  });

  it('follows --state for /counter', async () => {
    const { app } = makeApp({ state: 'ipc' });
    expect(await (await app.request('/counter')).json()).toMatchObject({ strategy: 'ipc', current_count: 1 });
  });
});

describe('user routes', () => {
  it.each([
    ['/user/5', 'cache'],
    ['/user/lru/5', 'lru_cache'],
    ['/user/ttl/5', 'ttl_cache'],
  ])('%s answers database, then %s', async (path, hit) => {
    const { app, lab } = makeApp();
    const miss = await app.request(path);
    expect(await miss.json()).toEqual({
      source: 'database',
      data: { user_id: 5, name: 'User_5' },
      worker: { instance: 'test', id: 3, pid: 4242 },
    });
    expect(await (await app.request(path)).json()).toMatchObject({ source: hit });
    expect(lab.db.calls).toBe(1);
  });

  it.each(['abc', '-1', '1.5', '1e3', '0x10', '%201', '%00', '99999999999999999999', 'x'.repeat(10_000)])(
    'refuses id %s with a 400 naming the parameter',
    async (id) => {
      const { app, lab } = makeApp();
      const response = await app.request(`/user/${id}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe('E_BAD_PARAM');
      expect(body.message).toMatch(/^Expected `id` to be an integer from 0 to 9007199254740991, got `/);
      expect(body.message.length).toBeLessThan(200);
      expect(lab.db.calls).toBe(0);
    },
  );

  it('accepts the largest safe id', async () => {
    const { app } = makeApp();
    const response = await app.request(`/user/lru/${Number.MAX_SAFE_INTEGER}`);
    expect(response.status).toBe(200);
  });
});

describe('introspection and errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const { app } = makeApp();
    const response = await app.request('/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'E_NOT_FOUND', message: 'No route for GET /nope.' });
  });

  it('reports every counter and cache in /stats', async () => {
    const { app } = makeApp({ ioDelayMs: 0 });
    await app.request('/counter/unsafe');
    await app.request('/user/lru/1');
    await app.request('/user/lru/1');
    const stats = (await (await app.request('/stats')).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      id: 3,
      pid: 4242,
      state: 'memory',
      counters: { local: 0, unsafe: 1, ipc: null },
      caches: { lru: { size: 1, hits: 1, misses: 1, max: 10 }, map: { size: 0 }, ttl: { size: 0 } },
      db_calls: 1,
    });
  });

  it('reports health', async () => {
    const { app } = makeApp();
    expect(await (await app.request('/healthz')).json()).toMatchObject({ status: 'ok', redis: 'not configured' });
  });

  it('fails /healthz with 503 "draining" once a shutdown has begun, and serves the rest as usual', async () => {
    let health: Health = 'ok';
    const { app } = makeApp({}, () => health);
    expect((await app.request('/healthz')).status).toBe(200);
    health = 'draining';
    const answer = await app.request('/healthz');
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({
      status: 'draining',
      worker: { instance: 'test', id: 3, pid: 4242 },
      redis: 'not configured',
    });
    expect((await app.request('/healthz', { method: 'HEAD' })).status).toBe(503);
    expect((await app.request('/counter/local')).status).toBe(200);
  });
});
