import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { defaultConfig } from '../src/config.js';
import { createLab } from '../src/lab.js';
import { linkedChannels } from './helpers/channels.js';

const makeLab = () => {
  const config = { ...defaultConfig(), dbDelayMs: 0, ioDelayMs: 0 };
  const { worker: channel } = linkedChannels();
  const lab = createLab({ config, identity: { instance: 'test', id: 1, pid: 101 }, redis: null, channel });
  const app = createApp({
    lab,
    clusterStats: () => Promise.reject(new Error('not here')),
    metrics: async () => ({ text: '', contentType: 'text/plain' }),
  });
  return { lab, app };
};

describe("one worker's memory", () => {
  it('tallies each counter route: its answers and the largest value answered', async () => {
    const { lab, app } = makeLab();
    for (let request = 0; request < 3; request += 1) await app.request('/counter/local');
    await app.request('/counter/unsafe');
    expect(lab.stats()).toMatchObject({
      increments: { local: 3, unsafe: 1, ipc: 0 },
      max_answers: { local: 3, unsafe: 1 },
    });
    expect(lab.stats().max_answers).not.toHaveProperty('ipc');
  });

  it('starts clean after a reset: counters, caches, database calls, requests, tallies', async () => {
    const { lab, app } = makeLab();
    for (const path of ['/counter/local', '/user/1', '/user/1', '/user/lru/2', '/user/ttl/3']) await app.request(path);
    lab.requests = 5;
    const before = lab.stats();
    expect(before.db_calls).toBe(3);
    expect(before.caches.map).toMatchObject({ size: 1, hits: 1, misses: 1 });

    lab.reset();
    const after = lab.stats();
    expect(after.seq).toBeGreaterThan(before.seq);
    expect(after).toMatchObject({ requests: 0, db_calls: 0, increments: { local: 0 }, max_answers: {} });
    expect(after.counters.local).toBe(0);
    for (const name of ['map', 'lru', 'ttl']) {
      expect(after.caches[name]).toMatchObject({ size: 0, hits: 0, misses: 0, bypassed: 0 });
    }
    // The emptied cache is the one the routes use: the next lookup is a miss again.
    expect(await (await app.request('/user/1')).json()).toMatchObject({ source: 'database' });
  });
});
