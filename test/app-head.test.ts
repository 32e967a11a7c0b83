import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { defaultConfig } from '../src/config.js';
import { ipcStrategy } from '../src/counters/ipc.js';
import { createLab } from '../src/lab.js';
import type { ClusterStats } from '../src/stats.js';
import { linkedChannels } from './helpers/channels.js';

const makeApp = () => {
  const config = { ...defaultConfig(), dbDelayMs: 0, ioDelayMs: 0 };
  const { worker: channel, primary } = linkedChannels();
  ipcStrategy.createStorage?.({ config, redis: null, handle: (type, handler) => primary.handle(type, handler) });
  const lab = createLab({ config, identity: { instance: 'test', id: 3, pid: 4242 }, redis: null, channel });
  const clusterStats = async (): Promise<ClusterStats> => {
    throw new Error('not in this test');
  };
  return { app: createApp({ lab, clusterStats, metrics: async () => ({ text: '', contentType: 'text/plain' }) }), lab };
};

describe('HEAD on the routes that change state', () => {
  it('answers the status GET would, with no body, and runs nothing', async () => {
    const { app, lab } = makeApp();
    for (const path of ['/counter', '/counter/local', '/counter/unsafe', '/counter/ipc', '/user/5', '/user/lru/5']) {
      const answer = await app.request(path, { method: 'HEAD' });
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(await answer.text(), path).toBe('');
    }
    expect([...lab.counters.values()].map((counter) => counter.peek() ?? 0)).toEqual(
      [...lab.counters.values()].map(() => 0),
    );
    expect(lab.db.calls).toBe(0);
    expect([...lab.caches.values()].map(({ counts }) => counts)).toEqual(
      [...lab.caches.values()].map(() => ({ hits: 0, misses: 0, bypassed: 0 })),
    );
    expect((await app.request('/counter/local')).status).toBe(200);
    expect(await (await app.request('/counter/local')).json()).toMatchObject({ current_count: 2 });
  });

  it('is a 503 on a Redis counter without Redis, as GET is, and a 400 on a bad id', async () => {
    const { app } = makeApp();
    expect((await app.request('/counter/redis', { method: 'HEAD' })).status).toBe(503);
    expect((await app.request('/counter/redis')).status).toBe(503);
    expect((await app.request('/user/abc', { method: 'HEAD' })).status).toBe(400);
  });
});
